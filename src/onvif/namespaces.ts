/** Namespace URIs: XML from cameras is matched on these, never on the prefixes a device chose. */
export const NS = {
  soap12: "http://www.w3.org/2003/05/soap-envelope",
  soap11: "http://schemas.xmlsoap.org/soap/envelope/",
  wsa: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  wsd: "http://schemas.xmlsoap.org/ws/2005/04/discovery",
  dn: "http://www.onvif.org/ver10/network/wsdl",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tr2: "http://www.onvif.org/ver20/media/wsdl",
  tt: "http://www.onvif.org/ver10/schema",
  ter: "http://www.onvif.org/ver10/error",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
} as const;

export const WSSE_PASSWORD_DIGEST =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
export const WSSE_PASSWORD_TEXT =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
export const WSSE_BASE64 =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

export const WSD_PROBE_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
export const WSD_PROBE_MATCHES_ACTION =
  "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
export const WSD_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
export const WSD_MULTICAST = { address: "239.255.255.250", port: 3702 } as const;

/** The event service (ONVIF Core, "Event handling") and the OASIS standards it builds on. */
export const EVENT_NS = {
  tev: "http://www.onvif.org/ver10/events/wsdl",
  wsnt: "http://docs.oasis-open.org/wsn/b-2",
  wstop: "http://docs.oasis-open.org/wsn/t-1",
  wsa5: "http://www.w3.org/2005/08/addressing",
  tns1: "http://www.onvif.org/ver10/topics",
  wsrfRw: "http://docs.oasis-open.org/wsrf/rw-2",
} as const;
