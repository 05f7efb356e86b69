import { NS } from "../onvif/namespaces.js";
import {
  child,
  childrenNamed,
  DEFAULT_XML_LIMITS,
  descend,
  parseXml,
  textOf,
  type XmlElement,
} from "../onvif/xml.js";

/** WS-Addressing as WS-Discovery 2005/04 uses it, and the W3C 2005/08 version some firmware sends. */
const WSA_NAMESPACES = [NS.wsa, "http://www.w3.org/2005/08/addressing"];
export const MAX_XADDRS = 32;
export const MAX_SCOPES = 64;
/**
 * A real ProbeMatches is 1-3 KB; a bigger datagram is dropped unread. Leaves room for a device
 * that lists far too many XAddrs, which is refused for that device alone (with a reason).
 */
export const MAX_PROBE_MATCHES_BYTES = 48 * 1024;

export interface ProbeMatch {
  /** EndpointReference address, normalised to lower case with a urn: prefix. */
  urn: string;
  xaddrs: string[];
  types: string[];
  scopes: string[];
  /** Set when the match was refused (for example too many XAddrs); the rest is then partial. */
  error?: string;
}

export interface ProbeMatchesMessage {
  relatesTo: string | undefined;
  matches: ProbeMatch[];
}

export function normaliseUrn(address: string): string {
  const trimmed = address.trim().toLowerCase();
  return trimmed.startsWith("uuid:") ? `urn:${trimmed}` : trimmed;
}

function wsa(element: XmlElement | undefined, local: string): XmlElement | undefined {
  for (const ns of WSA_NAMESPACES) {
    const found = child(element, ns, local);
    if (found) return found;
  }
  return undefined;
}

function words(element: XmlElement | undefined): string[] {
  return (textOf(element) ?? "").split(/\s+/).filter(Boolean);
}

/**
 * Whether a datagram may answer one of our Probes, tested before any parsing: it is small enough
 * and carries one of our MessageIDs somewhere (a real answer has it in RelatesTo). Anyone on the
 * LAN can send anything to our port; what fails this costs a byte search, never a parse.
 */
export function mayAnswerProbe(datagram: Uint8Array, messageIds: readonly string[]): boolean {
  if (datagram.byteLength > MAX_PROBE_MATCHES_BYTES) return false;
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  return messageIds.some((id) => bytes.includes(id));
}

/** Parses a ProbeMatches datagram (untrusted); throws XmlError when it is not usable XML. */
export function parseProbeMatches(datagram: Uint8Array | string): ProbeMatchesMessage {
  const envelope = parseXml(datagram, {
    ...DEFAULT_XML_LIMITS,
    maxBytes: MAX_PROBE_MATCHES_BYTES,
    lenientPrefixes: true,
  });
  const soap = envelope.ns === NS.soap11 ? NS.soap11 : NS.soap12;
  const relatesTo = textOf(wsa(child(envelope, soap, "Header"), "RelatesTo"));
  const container = descend(envelope, [soap, "Body"], [NS.wsd, "ProbeMatches"]);
  const matches: ProbeMatch[] = [];
  for (const match of childrenNamed(container, NS.wsd, "ProbeMatch").slice(0, 16)) {
    const address = textOf(wsa(wsa(match, "EndpointReference"), "Address"));
    if (!address) continue;
    const xaddrs = words(child(match, NS.wsd, "XAddrs"));
    const scopes = words(child(match, NS.wsd, "Scopes"));
    const result: ProbeMatch = {
      urn: normaliseUrn(address),
      xaddrs: xaddrs.slice(0, MAX_XADDRS),
      types: words(child(match, NS.wsd, "Types")),
      scopes: scopes.slice(0, MAX_SCOPES),
    };
    if (xaddrs.length > MAX_XADDRS)
      result.error = `device lists ${xaddrs.length} XAddrs (more than ${MAX_XADDRS}); ignored`;
    matches.push(result);
  }
  return { relatesTo, matches };
}

/**
 * The XAddr to use for a device that answered from `from`: an IPv4 http(s) one whose host is
 * that address, else the first IPv4 one rewritten to that address (devices often advertise an
 * address that is wrong from where we stand), else the first one.
 */
export function chooseXAddr(
  xaddrs: readonly string[],
  from: string | undefined,
): string | undefined {
  const parsed = xaddrs
    .map((xaddr) => {
      try {
        return new URL(xaddr);
      } catch {
        return undefined;
      }
    })
    .filter(
      (url): url is URL =>
        url !== undefined && (url.protocol === "http:" || url.protocol === "https:"),
    );
  const ipv4 = parsed.filter((url) => /^\d{1,3}(\.\d{1,3}){3}$/.test(url.hostname));
  const exact = ipv4.find((url) => url.hostname === from);
  if (exact) return exact.href;
  const first = ipv4[0] ?? parsed[0];
  if (!first) return undefined;
  if (from && /^\d{1,3}(\.\d{1,3}){3}$/.test(from)) first.hostname = from;
  return first.href;
}
