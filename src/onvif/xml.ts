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
  scope: XmlScope;
}

/**
 * The namespace bindings in scope at an element: its own declarations and a link to the
 * enclosing scope. Elements that declare nothing share their parent's scope, so a document costs
 * memory in proportion to its declarations, never declarations × elements.
 */
export class XmlScope {
  constructor(
    private readonly own: Readonly<Record<string, string>>,
    readonly parent?: XmlScope,
  ) {}

  /** The URI `prefix` stands for here ("" for the default namespace); undefined when unbound. */
  lookup(prefix: string): string | undefined {
    return Object.hasOwn(this.own, prefix) ? this.own[prefix] : this.parent?.lookup(prefix);
  }
}

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  /** Attributes (namespace declarations included) on one element; default 256. */
  maxAttributesPerElement?: number;
  /** Attributes (namespace declarations included) in the whole document; default 40,000. */
  maxAttributes?: number;
  /** Namespace declarations on one element; default 256. */
  maxNamespacesPerElement?: number;
  /** Namespace declarations in the whole document; default 1024. */
  maxNamespaces?: number;
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

/**
 * Real firmware (gSOAP) declares every namespace it knows on the Envelope: 56 is the most among
 * the fixtures of real devices, and no fixture declares any elsewhere. The caps leave room for
 * bigger builds, and refuse namespace and attribute bombs long before they cost anything. They
 * apply to callers that give limits of their own without them, too.
 */
const DEFAULT_CAPS = {
  maxAttributesPerElement: 256,
  maxAttributes: 40_000,
  maxNamespacesPerElement: 256,
  maxNamespaces: 1024,
} as const;

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 20_000,
  ...DEFAULT_CAPS,
};

const EMPTY_SCOPE = new XmlScope({});

/** XML that is malformed, too large, too deep, or carries a DTD. The message says which. */
export class XmlError extends CamgateError {}

/**
 * Counts attributes and namespace declarations as saxes reads each one, so a bomb is refused
 * before saxes resolves any of it; `declaredHere` is the current element's declarations, and
 * `nextElement` starts the count of the next one (called once an element is open: saxes reports
 * an element's attributes before the element).
 */
function attributeCounter(limits: XmlLimits, fail: (message: string) => never) {
  const caps = {
    attrsPerElement: limits.maxAttributesPerElement ?? DEFAULT_CAPS.maxAttributesPerElement,
    attrs: limits.maxAttributes ?? DEFAULT_CAPS.maxAttributes,
    nsPerElement: limits.maxNamespacesPerElement ?? DEFAULT_CAPS.maxNamespacesPerElement,
    ns: limits.maxNamespaces ?? DEFAULT_CAPS.maxNamespaces,
  };
  const counts = { attrsHere: 0, attrs: 0, nsHere: 0, ns: 0 };
  return {
    nextElement: () => {
      counts.attrsHere = 0;
      counts.nsHere = 0;
    },
    onAttribute: ({ name }: { name: string }) => {
      if (name === "xmlns" || name.startsWith("xmlns:")) {
        if (++counts.nsHere > caps.nsPerElement)
          fail(`XML element declares more than ${caps.nsPerElement} namespaces`);
        if (++counts.ns > caps.ns) fail(`XML declares more than ${caps.ns} namespaces`);
      }
      if (++counts.attrsHere > caps.attrsPerElement)
        fail(`XML element has more than ${caps.attrsPerElement} attributes`);
      if (++counts.attrs > caps.attrs) fail(`XML has more than ${caps.attrs} attributes`);
    },
    declaredHere: () => counts.nsHere,
  };
}

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
  // An element's text past its first piece, joined when it closes: `+=` on every piece would
  // keep a rope of them all (text cut by entities and CDATA retained 4 times its size).
  const pieces: (string[] | undefined)[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let failure: Error | undefined;
  // Throwing from a handler stops saxes at once, so a hostile document is never read to its end
  // (saxes resolves prefixes by walking the open-tag stack: 100,000 nested tags would take minutes).
  const fail = (message: string, cause?: unknown): never => {
    failure ??= new XmlError(message, { cause });
    throw failure;
  };
  const attributes = attributeCounter(limits, fail);

  // Six handlers at most: saxes adds each as a property of the parser, and a seventh turns it
  // into a slow dictionary object (a 3.5 KB PullMessages reply took 350 µs to parse, now 75 µs).
  // Without an error handler saxes throws its error, which the catch below words as ours would.
  parser.on("doctype", () => fail("XML with a DOCTYPE is refused (entities are never expanded)"));
  parser.on("attribute", attributes.onAttribute);
  parser.on("opentag", (tag: SaxesTagNS) => {
    if (++elements > limits.maxElements) fail(`XML has more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) fail(`XML nests deeper than ${limits.maxDepth} levels`);
    const parent = stack.at(-1);
    const inherited = parent?.scope ?? EMPTY_SCOPE;
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
      scope: attributes.declaredHere() === 0 ? inherited : new XmlScope(tag.ns, inherited),
    };
    attributes.nextElement();
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
  });
  const onText = (chunk: string) => {
    const depth = stack.length - 1;
    const current = stack[depth];
    if (!current) return;
    if (current.text === "") current.text = chunk;
    else (pieces[depth] ??= [current.text]).push(chunk);
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", () => {
    const depth = stack.length - 1;
    const parts = pieces[depth];
    const element = stack.pop();
    if (parts && element) {
      element.text = parts.join("");
      pieces[depth] = undefined;
    }
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
  return {
    ns: element.scope.lookup(prefix) ?? "",
    local: colon === -1 ? qname : qname.slice(colon + 1),
  };
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
