import {
  constants,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  X509Certificate,
} from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };

/** A detached RSA-PSS/SHA-256 signature over the canonical JSON of `payload` (base64). */
export function signPayload(payload: unknown, privateKeyPem: string): string {
  return sign("sha256", Buffer.from(canonicalJson(payload)), {
    key: createPrivateKey(privateKeyPem),
    ...PSS,
  }).toString("base64");
}

/** Checks a signature made by signPayload, with a public key or a certificate (PEM). */
export function verifyPayload(
  payload: unknown,
  signature: string,
  publicKeyOrCertPem: string,
): boolean {
  const key = publicKeyOrCertPem.includes("BEGIN CERTIFICATE")
    ? new X509Certificate(publicKeyOrCertPem).publicKey
    : createPublicKey(publicKeyOrCertPem);
  try {
    return verify(
      "sha256",
      Buffer.from(canonicalJson(payload)),
      { key, ...PSS },
      Buffer.from(signature, "base64"),
    );
  } catch {
    return false;
  }
}
