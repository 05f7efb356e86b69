import type { X509Certificate } from "node:crypto";
import forge from "node-forge";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_EXTENDED_USAGE = "2.5.29.37.0";
const KEY_USAGE = "2.5.29.15";

/** keyUsage bits, or undefined when the extension is absent (then any use is allowed). */
function keyUsageBits(cert: X509Certificate): number | undefined {
  const asn1 = forge.asn1;
  const der = forge.util.createBuffer(cert.raw.toString("binary"));
  const tbs = (asn1.fromDer(der).value as forge.asn1.Asn1[])[0];
  const tagged = (tbs?.value as forge.asn1.Asn1[] | undefined)?.find(
    (part) =>
      // [3]: the extensions (context-specific tag number 3, which forge types as BITSTRING).
      part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === asn1.Type.BITSTRING,
  );
  const extensions = ((tagged?.value as forge.asn1.Asn1[] | undefined)?.[0]?.value ??
    []) as forge.asn1.Asn1[];
  for (const extension of extensions) {
    const [oid, ...rest] = extension.value as forge.asn1.Asn1[];
    if (!oid || asn1.derToOid(oid.value as string) !== KEY_USAGE) continue;
    // The OCTET STRING holds a DER BIT STRING: tag, length, unused-bit count, then the bits
    // (digitalSignature first); keyUsage is at most 2 bytes of bits, so the length is short.
    const octets = rest[rest.length - 1]?.value;
    const bitString = typeof octets === "string" ? octets : "";
    return bitString.length > 3 ? bitString.charCodeAt(3) : 0;
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
