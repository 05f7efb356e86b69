/** A value RFC 8785 cannot serialize: a string with a lone surrogate, a BigInt, no value at all. */
export class CanonicalJsonError extends Error {}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The JSON Canonicalization Scheme (RFC 8785, JCS): no whitespace, object members sorted by
 * their names as UTF-16 code units, strings escaped as ECMAScript's JSON.stringify escapes them
 * (only `"`, `\` and controls below U+0020; everything else, Vietnamese letters included, as
 * is), numbers as ECMAScript prints them. Hashes and signatures are over its UTF-8 bytes.
 *
 * The value is first read the way JSON.stringify reads it (toJSON, members whose value is
 * undefined or a function left out, NaN and ±Infinity as null), so what is signed is the JSON
 * that is sent. test/unit/canonical-json.test.ts checks it against the RFC's own examples and
 * against `canonicalize`, the RFC authors' JavaScript implementation.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, "");
  if (text === undefined) throw new CanonicalJsonError("the value has no JSON form");
  return text;
}

function serialize(input: unknown, key: string): string | undefined {
  let value = input;
  if (typeof value === "object" && value !== null && "toJSON" in value) {
    const toJSON = value.toJSON;
    if (typeof toJSON === "function") value = (toJSON as (key: string) => unknown).call(value, key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean)
    value = value.valueOf();
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value))
        throw new CanonicalJsonError("a string holds a lone surrogate (RFC 8785, 3.2.2.2)");
      return JSON.stringify(value);
    case "number":
      // ECMAScript's Number-to-string is what RFC 8785 prescribes; non-finite numbers are
      // sent as null by JSON.stringify, and signed as what is sent.
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new CanonicalJsonError("a BigInt has no JSON form");
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) {
        const items = value.map((item, index) => serialize(item, String(index)) ?? "null");
        return `[${items.join(",")}]`;
      }
      return serializeObject(value as Record<string, unknown>);
    default:
      return undefined; // undefined, functions, symbols: left out, as JSON.stringify does
  }
}

function serializeObject(object: Record<string, unknown>): string {
  const members: string[] = [];
  // The default sort compares UTF-16 code units, the order RFC 8785 (3.2.3) requires.
  for (const name of Object.keys(object).sort()) {
    const member = serialize(object[name], name);
    if (member === undefined) continue;
    if (LONE_SURROGATE.test(name))
      throw new CanonicalJsonError("a member name holds a lone surrogate (RFC 8785, 3.2.2.2)");
    members.push(`${JSON.stringify(name)}:${member}`);
  }
  return `{${members.join(",")}}`;
}
