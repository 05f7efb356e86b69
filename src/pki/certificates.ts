import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
} from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import forge from "node-forge";
import { createFileExclusive } from "../util/files.js";
import { KeyFileError } from "./errors.js";
import { assertPrivateFile } from "./sealer.js";

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
  const usage = cert.keyUsage ?? [];
  return {
    subject: cert.subject.replaceAll("\n", ", "),
    issuer: cert.issuer.replaceAll("\n", ", "),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    daysLeft: Math.floor((Date.parse(cert.validTo) - nowMs) / 86_400_000),
    fingerprintSha256: cert.fingerprint256,
    clientAuth: usage.includes("1.3.6.1.5.5.7.3.2"),
    serverAuth: usage.includes("1.3.6.1.5.5.7.3.1"),
  };
}

/**
 * What `cert install` checks before it writes anything: the certificate belongs to our key,
 * was issued by the given CA (signature and name), is valid now, and allows client auth.
 */
export function verifyBoxCertificate(
  certPem: string,
  caPem: string,
  keyPem: string,
  nowMs = Date.now(),
): CertificateSummary {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(caPem);
  } catch (error) {
    throw new CertificateError("not a PEM certificate", { cause: error });
  }
  const ours = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const theirs = cert.publicKey.export({ type: "spki", format: "der" });
  if (
    !createHash("sha256").update(ours).digest().equals(createHash("sha256").update(theirs).digest())
  ) {
    throw new CertificateError(
      "the certificate is not for this box's key (was the CSR made from another key?)",
    );
  }
  if (!ca.ca) throw new CertificateError("the CA file is not a CA certificate");
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new CertificateError(
      `the certificate was not issued by the given CA (${ca.subject.replaceAll("\n", ", ")})`,
    );
  }
  const summary = summarize(certPem, nowMs);
  if (Date.parse(cert.validFrom) > nowMs)
    throw new CertificateError(`the certificate is not valid before ${summary.notBefore}`);
  if (Date.parse(cert.validTo) <= nowMs)
    throw new CertificateError(`the certificate expired on ${summary.notAfter}`);
  if (!summary.clientAuth)
    throw new CertificateError(
      "the certificate does not allow TLS client authentication (extKeyUsage clientAuth)",
    );
  return summary;
}
