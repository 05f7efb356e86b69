export * from "./namespaces.js";
export { type SoapFaultSpec, soapEnvelope, soapFault } from "./soap.js";
export { passwordDigest, usernameTokenHeader } from "./wsse.js";
export * from "./xml.js";
export { formatDuration, parseDurationMs } from "./duration.js";
