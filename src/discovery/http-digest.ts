import { createHash, randomBytes } from "node:crypto";

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of header.matchAll(
    /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g,
  )) {
    const [, key = "", quoted, bare] = match;
    out[key.toLowerCase()] = quoted ?? bare ?? "";
  }
  return out;
}

/**
 * The Authorization header answering an MD5 Digest challenge (RFC 7616, qop=auth or none).
 * Returns undefined for any other scheme or algorithm, which we then do not try.
 */
export function digestAuthorization(
  challenges: string | string[] | undefined,
  method: string,
  uri: string,
  username: string,
  password: string,
): string | undefined {
  const list = Array.isArray(challenges) ? challenges : challenges ? [challenges] : [];
  const challenge = list.find((value) => /^Digest\s/i.test(value));
  if (!challenge) return undefined;
  const p = params(challenge.slice(7));
  if (!p.realm || !p.nonce) return undefined;
  if (p.algorithm && p.algorithm.toUpperCase() !== "MD5") return undefined;
  const qop = p.qop
    ?.split(",")
    .map((q) => q.trim())
    .includes("auth")
    ? "auth"
    : undefined;
  const ha1 = md5(`${username}:${p.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const response = qop
    ? md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : md5(`${ha1}:${p.nonce}:${ha2}`);
  const quote = (value: string) => value.replace(/["\\]/g, "\\$&");
  const parts = [
    `username="${quote(username)}"`,
    `realm="${quote(p.realm)}"`,
    `nonce="${quote(p.nonce)}"`,
    `uri="${quote(uri)}"`,
    `response="${response}"`,
    "algorithm=MD5",
  ];
  if (p.opaque) parts.push(`opaque="${quote(p.opaque)}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(", ")}`;
}
