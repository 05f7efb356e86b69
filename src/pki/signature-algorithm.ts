import type { X509Certificate } from "node:crypto";
import { DER_TAG, DerError, derChild, derOid, derRoot } from "./der.js";

/** The names OpenSSL prints for the signature algorithms cameras are seen to use. */
const NAMES: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "RSASSA-PSS",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.3.14.3.2.29": "sha1WithRSA",
  "1.2.840.10040.4.3": "dsa-with-SHA1",
  "2.16.840.1.101.3.4.3.2": "dsa-with-SHA256",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
  "1.2.156.10197.1.501": "SM2-with-SM3",
};

/**
 * What signed the certificate (Certificate.signatureAlgorithm): its usual name, or the dotted OID
 * of one without; undefined when the certificate's DER cannot be read.
 */
export function signatureAlgorithm(certificate: X509Certificate): string | undefined {
  const der = certificate.raw;
  try {
    const algorithm = derChild(der, derRoot(der), 1, DER_TAG.sequence);
    const oid = derOid(der, derChild(der, algorithm, 0, DER_TAG.oid));
    return NAMES[oid] ?? oid;
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}
