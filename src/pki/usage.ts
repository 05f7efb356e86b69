import type { X509Certificate } from "node:crypto";
import { DER_TAG, derChild, derChildren, derElement, derOid, derRoot } from "./der.js";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_EXTENDED_USAGE = "2.5.29.37.0";
const KEY_USAGE = "2.5.29.15";

/** keyUsage bits, or undefined when the extension is absent (then any use is allowed). */
function keyUsageBits(cert: X509Certificate): number | undefined {
  const der = cert.raw;
  const tbs = derChild(der, derRoot(der), 0, DER_TAG.sequence);
  const tagged = derChildren(der, tbs).find((part) => part.tag === DER_TAG.extensions);
  if (!tagged) return undefined;
  for (const extension of derChildren(der, derChild(der, tagged, 0, DER_TAG.sequence))) {
    const parts = derChildren(der, extension);
    const [oid] = parts;
    const value = parts[parts.length - 1];
    if (!oid || derOid(der, oid) !== KEY_USAGE || value?.tag !== DER_TAG.octetString) continue;
    // The OCTET STRING holds a DER BIT STRING: the unused-bit count, then the bits
    // (digitalSignature first).
    const bits = derElement(der, value.start, value.end);
    if (bits.tag !== DER_TAG.bitString) return 0;
    return bits.end - bits.start > 1 ? (der[bits.start + 1] ?? 0) : 0;
  }
  return undefined;
}

/**
 * TLS client authentication is allowed: no extendedKeyUsage (RFC 5280: no restriction, as in a
 * plain `openssl x509 -req` certificate) or one that lists clientAuth or anyExtendedKeyUsage, and
 * no keyUsage or one with digitalSignature (what the TLS handshake signs with).
 */
export function allowsClientAuth(cert: X509Certificate): boolean {
  const extended = cert.keyUsage;
  if (extended && !extended.includes(CLIENT_AUTH) && !extended.includes(ANY_EXTENDED_USAGE))
    return false;
  const bits = keyUsageBits(cert);
  return bits === undefined || (bits & 0x80) !== 0;
}

/** The same reading of extendedKeyUsage for serverAuth (reported by `cert show`). */
export function allowsServerAuth(cert: X509Certificate): boolean {
  const extended = cert.keyUsage;
  return !extended || extended.includes(SERVER_AUTH) || extended.includes(ANY_EXTENDED_USAGE);
}
