import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  X509Certificate,
} from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

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
    // A payload without a canonical form (a lone surrogate) cannot have been signed.
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

/**
 * What a command's signature covers: the site it is meant for, the command's name and its
 * arguments (the payload), so that a signed command cannot be replayed at another site or as
 * another command. Signed as `signPayload` signs: RSA-PSS/SHA-256 over its canonical JSON.
 */
export function commandSigningInput(
  site: string,
  command: string,
  args: unknown,
): { site: string; command: string; args: unknown } {
  return { site, command, args };
}

/** The `signature` user property of a command to `site`. */
export function signCommand(
  site: string,
  command: string,
  args: unknown,
  privateKeyPem: string,
): string {
  return signPayload(commandSigningInput(site, command, args), privateKeyPem);
}

export function verifyCommand(
  site: string,
  command: string,
  args: unknown,
  signature: string,
  publicKeyOrCertPem: string,
): boolean {
  return verifyPayload(commandSigningInput(site, command, args), signature, publicKeyOrCertPem);
}

/** A signature carried inside the object it signs (audit reports): how to check it stands beside it. */
export interface EmbeddedSignature {
  algorithm: "RSA-PSS-SHA256";
  /** SHA-256 (hex) of the signer's public key, SubjectPublicKeyInfo DER. */
  keyId: string;
  /** signPayload over the object without its `signature` field. */
  value: string;
}

export function keyIdOf(publicKeyOrCertPem: string): string {
  const key = publicKeyOrCertPem.includes("BEGIN CERTIFICATE")
    ? new X509Certificate(publicKeyOrCertPem).publicKey
    : createPublicKey(publicKeyOrCertPem);
  return createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex");
}

/** The object with an embedded signature over everything else in it. */
export function signEmbedded<T extends object>(
  value: T,
  privateKeyPem: string,
): T & { signature: EmbeddedSignature } {
  const { signature: _ignored, ...unsigned } = value as T & { signature?: unknown };
  return {
    ...(unsigned as T),
    signature: {
      algorithm: "RSA-PSS-SHA256",
      keyId: keyIdOf(
        createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" }) as string,
      ),
      value: signPayload(unsigned, privateKeyPem),
    },
  };
}

export function verifyEmbedded(
  value: { signature?: EmbeddedSignature | undefined },
  publicKeyOrCertPem: string,
): boolean {
  const { signature, ...unsigned } = value;
  return signature !== undefined && verifyPayload(unsigned, signature.value, publicKeyOrCertPem);
}
