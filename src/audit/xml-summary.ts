import type { XmlElement } from "../onvif/xml.js";
import { REDACTED } from "../log/index.js";

const SECRET_ELEMENTS = new Set(["Password", "Nonce"]);
const MAX_FIELDS = 40;

/**
 * A SOAP reply as `Element=value` pairs of its leaves, for evidence: readable, short, and with
 * password-like elements censored before anything else sees them.
 */
export function summarizeXml(envelope: XmlElement): string {
  const body = envelope.children.find((child) => child.local === "Body") ?? envelope;
  const fields: string[] = [];
  const visit = (element: XmlElement) => {
    if (fields.length >= MAX_FIELDS) return;
    if (SECRET_ELEMENTS.has(element.local)) {
      fields.push(`${element.local}=${REDACTED}`);
      return;
    }
    const text = element.text.trim();
    if (element.children.length === 0) {
      fields.push(text === "" ? element.local : `${element.local}=${text}`);
      return;
    }
    for (const child of element.children) visit(child);
  };
  for (const child of body.children) {
    fields.push(`<${child.local}>`);
    visit(child);
  }
  return fields.join("; ");
}

/** The first child of the SOAP Body: the operation's response element. */
export function responseOf(envelope: XmlElement): XmlElement | undefined {
  return envelope.children.find((child) => child.local === "Body")?.children[0];
}

/** The trimmed text of a direct child element, by local name. */
export function field(element: XmlElement | undefined, name: string): string | undefined {
  return element?.children.find((child) => child.local === name)?.text.trim();
}
