import { NS } from "./namespaces.js";
import { escapeXml } from "./xml.js";

/** Prefixes every camgate SOAP message declares; a body may use any of them. */
const DECLARED: Record<string, string> = {
  s: NS.soap12,
  tds: NS.tds,
  trt: NS.trt,
  tr2: NS.tr2,
  tt: NS.tt,
  ter: NS.ter,
};

const declarations = (prefixes: Record<string, string>) =>
  Object.entries(prefixes)
    .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
    .join(" ");
/** Written once: an event subscription sends an envelope every pull, 30 a second on a busy box. */
const DECLARATIONS = declarations(DECLARED);

export function soapEnvelope(body: string, header = "", extra?: Record<string, string>): string {
  const xmlns = extra ? declarations({ ...DECLARED, ...extra }) : DECLARATIONS;
  const head = header === "" ? "" : `<s:Header>${header}</s:Header>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope ${xmlns}>${head}<s:Body>${body}</s:Body></s:Envelope>`;
}

export interface SoapFaultSpec {
  code: "Sender" | "Receiver";
  /** ONVIF error subcodes, outermost first, as ter: local names (e.g. "NotAuthorized"). */
  subcodes: readonly string[];
  reason: string;
}

export function soapFault(fault: SoapFaultSpec): string {
  let subcode = "";
  for (const name of [...fault.subcodes].reverse()) {
    subcode = `<s:Subcode><s:Value>ter:${escapeXml(name)}</s:Value>${subcode}</s:Subcode>`;
  }
  return soapEnvelope(
    `<s:Fault><s:Code><s:Value>s:${fault.code}</s:Value>${subcode}</s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${escapeXml(fault.reason)}</s:Text></s:Reason></s:Fault>`,
  );
}
