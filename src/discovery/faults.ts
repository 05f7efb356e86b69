import { NS } from "../onvif/namespaces.js";
import {
  child,
  childrenNamed,
  descend,
  resolveQName,
  textOf,
  type XmlElement,
} from "../onvif/xml.js";

export interface SoapFault {
  /** "Sender" or "Receiver" (SOAP 1.1 "Client"/"Server" are mapped). */
  code: string;
  /** ONVIF subcodes by local name, outermost first, e.g. ["ActionNotSupported"]. */
  subcodes: string[];
  reason: string;
  notAuthorized: boolean;
}

const SOAP11_CODES: Record<string, string> = { Client: "Sender", Server: "Receiver" };

/**
 * Reads a SOAP Fault whatever prefixes, SOAP version or subcodes the device used. A fault
 * counts as "not authorized" by its ONVIF subcode, or, for devices that send none (gSOAP), by
 * an HTTP 401 or a reason that says so.
 */
export function readFault(envelope: XmlElement, httpStatus: number): SoapFault | undefined {
  const soap = envelope.ns === NS.soap11 ? NS.soap11 : NS.soap12;
  const fault = descend(envelope, [soap, "Body"], [soap, "Fault"]);
  if (!fault) return undefined;
  let code: string;
  const subcodes: string[] = [];
  let reason: string;
  if (soap === NS.soap12) {
    const codeElement = child(fault, soap, "Code");
    code = localOf(codeElement, textOf(child(codeElement, soap, "Value")));
    let sub = child(codeElement, soap, "Subcode");
    while (sub && subcodes.length < 8) {
      subcodes.push(localOf(sub, textOf(child(sub, soap, "Value"))));
      sub = child(sub, soap, "Subcode");
    }
    const texts = childrenNamed(child(fault, soap, "Reason"), soap, "Text");
    reason = textOf(texts[0]) ?? "";
  } else {
    const faultCode = child(fault, "", "faultcode");
    code = localOf(faultCode, textOf(faultCode));
    code = SOAP11_CODES[code] ?? code;
    reason = textOf(child(fault, "", "faultstring")) ?? "";
  }
  const notAuthorized =
    subcodes.includes("NotAuthorized") ||
    httpStatus === 401 ||
    /not ?authori[sz]ed|unauthori[sz]ed/i.test(reason);
  return { code, subcodes: subcodes.filter(Boolean), reason: reason.slice(0, 500), notAuthorized };
}

function localOf(element: XmlElement | undefined, qname: string | undefined): string {
  if (!qname) return "";
  return element ? resolveQName(element, qname).local : (qname.split(":").pop() ?? qname);
}

/** Some cameras answer a refused request with an HTML page instead of a SOAP fault. */
export function looksLikeHtml(body: string): boolean {
  return /^\s*(<!doctype html|<html|<head|<body)/i.test(body);
}
