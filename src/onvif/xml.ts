import { SaxesParser, type SaxesTagNS } from "saxes";
import { CamgateError } from "../errors.js";
import { NS } from "./namespaces.js";

/** An element with its namespace URI resolved; text is the concatenation of its own text nodes. */
export interface XmlElement {
  ns: string;
  local: string;
  attrs: readonly { ns: string; local: string; value: string }[];
  children: XmlElement[];
  text: string;
  /** Prefix → URI bindings in scope here, for QNames inside text (Types, Fault subcodes). */
  scope: Readonly<Record<string, string>>;
}

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  /**
   * Bind prefixes a device forgot to declare to the URI that prefix conventionally stands for
   * (trimmed or sloppy firmware does this). Off: an unbound prefix is an error.
   */
  lenientPrefixes?: boolean;
}

/** What a prefix means when a device uses it without declaring it. */
const CONVENTIONAL_PREFIXES: Record<string, string> = {
  env: NS.soap12,
  s: NS.soap12,
  soap: NS.soap12,
  "SOAP-ENV": NS.soap12,
  a: NS.wsa,
  wsa: NS.wsa,
  wsadis: NS.wsa,
  d: NS.wsd,
  wsd: NS.wsd,
  wsdd: NS.wsd,
  dn: NS.dn,
  tds: NS.tds,
  trt: NS.trt,
  tr2: NS.tr2,
  tt: NS.tt,
  ter: NS.ter,
};

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 20_000,
};

/** XML that is malformed, too large, too deep, or carries a DTD. The message says which. */
export class XmlError extends CamgateError {}

/**
 * Parses untrusted XML strictly, with namespaces. A DOCTYPE is refused outright (SOAP forbids
 * it), so no entity is ever defined or expanded and no external resource is ever read.
 */
export function parseXml(
  input: string | Uint8Array,
  limits: XmlLimits = DEFAULT_XML_LIMITS,
): XmlElement {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.byteLength;
  if (size > limits.maxBytes)
    throw new XmlError(`XML document of ${size} bytes exceeds ${limits.maxBytes}`);
  let text: string;
  try {
    text =
      typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch (error) {
    throw new XmlError("XML document is not valid UTF-8", { cause: error });
  }

  const parser = new SaxesParser({
    xmlns: true,
    position: true,
    resolvePrefix: limits.lenientPrefixes
      ? (prefix: string) => CONVENTIONAL_PREFIXES[prefix] ?? `urn:camgate:unbound-prefix:${prefix}`
      : undefined,
  });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let failure: Error | undefined;
  // Throwing from a handler stops saxes at once, so a hostile document is never read to its end
  // (saxes resolves prefixes by walking the open-tag stack: 100,000 nested tags would take minutes).
  const fail = (message: string, cause?: unknown): never => {
    failure ??= new XmlError(message, { cause });
    throw failure;
  };

  parser.on("doctype", () => fail("XML with a DOCTYPE is refused (entities are never expanded)"));
  parser.on("error", (error) => fail(`malformed XML: ${error.message}`, error));
  parser.on("opentag", (tag: SaxesTagNS) => {
    if (++elements > limits.maxElements) fail(`XML has more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) fail(`XML nests deeper than ${limits.maxDepth} levels`);
    const parent = stack.at(-1);
    const element: XmlElement = {
      ns: tag.uri,
      local: tag.local,
      attrs: Object.values(tag.attributes).map((attr) => ({
        ns: attr.uri,
        local: attr.local,
        value: attr.value,
      })),
      children: [],
      text: "",
      scope:
        Object.keys(tag.ns).length === 0 ? (parent?.scope ?? {}) : { ...parent?.scope, ...tag.ns },
    };
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
  });
  const onText = (chunk: string) => {
    const current = stack.at(-1);
    if (current) current.text += chunk;
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", () => {
    stack.pop();
  });

  try {
    parser.write(text).close();
  } catch (error) {
    failure ??= new XmlError(`malformed XML: ${(error as Error).message}`, { cause: error });
  }
  if (failure) throw failure;
  if (!root) throw new XmlError("XML document has no root element");
  return root;
}

export function child(
  element: XmlElement | undefined,
  ns: string,
  local: string,
): XmlElement | undefined {
  return element?.children.find((c) => c.local === local && c.ns === ns);
}

export function childrenNamed(
  element: XmlElement | undefined,
  ns: string,
  local: string,
): XmlElement[] {
  return element?.children.filter((c) => c.local === local && c.ns === ns) ?? [];
}

/** Follows a path of [namespace, local name] steps; undefined as soon as a step is missing. */
export function descend(
  element: XmlElement | undefined,
  ...path: [string, string][]
): XmlElement | undefined {
  let current = element;
  for (const [ns, local] of path) current = child(current, ns, local);
  return current;
}

export function textOf(element: XmlElement | undefined): string | undefined {
  const value = element?.text.trim();
  return value === "" ? undefined : value;
}

export function attr(element: XmlElement | undefined, local: string, ns = ""): string | undefined {
  return element?.attrs.find((a) => a.local === local && a.ns === ns)?.value;
}

/** Resolves "prefix:Local" found in text against the bindings in scope at `element`. */
export function resolveQName(element: XmlElement, qname: string): { ns: string; local: string } {
  const colon = qname.indexOf(":");
  const prefix = colon === -1 ? "" : qname.slice(0, colon);
  return { ns: element.scope[prefix] ?? "", local: colon === -1 ? qname : qname.slice(colon + 1) };
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escapes text or attribute content; control characters XML 1.0 cannot carry are dropped. */
export function escapeXml(value: string | number | boolean): string {
  return (
    String(value)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch] ?? ch)
  );
}
