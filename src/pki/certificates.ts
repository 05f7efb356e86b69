import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createFileExclusive } from "../util/files.js";
import { KeyFileError } from "./errors.js";
import { loadForge } from "./forge.js";
import { assertPrivateFile } from "./sealer.js";
import { allowsClientAuth, allowsServerAuth } from "./usage.js";

export class CertificateError extends KeyFileError {}

/** A new RSA private key (PKCS#8 PEM), generated natively: forge's JavaScript RSA takes seconds. */
export function generatePrivateKeyPem(bits = 3072): string {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}

/**
 * `rsa-<bits>` or `ec-<curve>`: what a renewed key must be (the issuer holds the new
 * certificate to the key type of the one it replaces).
 */
export function keyTypeOf(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return `rsa-${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === "ec") return `ec-${details.namedCurve ?? "unknown"}`;
  return key.asymmetricKeyType ?? "unknown";
}

/** A new key of the same type as `keyPem` (renewal): RSA of the same size. */
export function generateKeyLike(keyPem: string): string {
  const key = createPrivateKey(keyPem);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== "rsa" || bits === undefined)
    throw new KeyFileError(
      `the box key is ${keyTypeOf(key)}; renewal over the uplink makes RSA keys, as camgate cert keygen does (renew this box on site)`,
    );
  return generatePrivateKeyPem(bits);
}

/** Writes a new key 0600; refuses to replace an existing one (that would orphan its certificate). */
export async function writeNewKey(path: string, pem: string): Promise<void> {
  const created = await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    .then(() => createFileExclusive(path, Buffer.from(pem), 0o600))
    .catch((error: unknown) => {
      throw new KeyFileError(`cannot write key ${path}`, { cause: error });
    });
  if (!created) {
    throw new KeyFileError(
      `${path} already exists; remove it first if you really mean to replace the box's key`,
    );
  }
}

export async function readPrivateKey(path: string): Promise<string> {
  await assertPrivateFile(path).catch((error: unknown) => {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(`cannot read key ${path}`, { cause: error });
  });
  return readFile(path, "utf8");
}

/** A PKCS#10 request for the box: CN = site id, serialNumber = the box's machine id. */
export function createCsrPem(keyPem: string, commonName: string, serial: string): string {
  const forge = loadForge();
  const key = forge.pki.privateKeyFromPem(keyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([
    { name: "commonName", value: commonName },
    { name: "serialNumber", value: serial },
    { name: "organizationName", value: "camgate" },
  ]);
  csr.setAttributes([
    { name: "extensionRequest", extensions: [{ name: "extKeyUsage", clientAuth: true }] },
  ]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprintSha256: string;
  clientAuth: boolean;
  serverAuth: boolean;
}

export function summarize(pem: string, nowMs = Date.now()): CertificateSummary {
  const cert = new X509Certificate(pem);
  return {
    subject: cert.subject.replaceAll("\n", ", "),
    issuer: cert.issuer.replaceAll("\n", ", "),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    daysLeft: Math.floor((Date.parse(cert.validTo) - nowMs) / 86_400_000),
    fingerprintSha256: cert.fingerprint256,
    clientAuth: allowsClientAuth(cert),
    serverAuth: allowsServerAuth(cert),
  };
}
