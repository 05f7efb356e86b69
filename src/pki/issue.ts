import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type Forge from "node-forge";
import { writeFileAtomic } from "../util/files.js";
import { generatePrivateKeyPem } from "./certificates.js";
import { loadForge } from "./forge.js";

export interface IssueRequest {
  commonName: string;
  publicKey: Forge.pki.rsa.PublicKey;
  usage: "client" | "server";
  /** DNS names and IP addresses, for server certificates. */
  altNames?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

export interface Authority {
  cert: Forge.pki.Certificate;
  key: Forge.pki.rsa.PrivateKey;
}

function keyPair(bits: number): {
  pem: string;
  key: Forge.pki.rsa.PrivateKey;
  publicKey: Forge.pki.rsa.PublicKey;
} {
  const forge = loadForge();
  const pem = generatePrivateKeyPem(bits);
  const key = forge.pki.privateKeyFromPem(pem);
  return { pem, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function serial(): string {
  return `01${randomBytes(15).toString("hex")}`;
}

/** A self-signed CA, for development, tests and the demo; production CAs live at the center. */
export function createAuthority(
  name: string,
  bits = 2048,
): Authority & { keyPem: string; certPem: string } {
  const forge = loadForge();
  const { pem, key, publicKey } = keyPair(bits);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const subject = [
    { name: "commonName", value: name },
    { name: "organizationName", value: "camgate development" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { cert, key, keyPem: pem, certPem: forge.pki.certificateToPem(cert) };
}

export function issueCertificate(authority: Authority, request: IssueRequest): string {
  const forge = loadForge();
  const cert = forge.pki.createCertificate();
  cert.publicKey = request.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = request.notBefore ?? new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = request.notAfter ?? new Date(Date.now() + 825 * 86_400_000);
  cert.setSubject([{ name: "commonName", value: request.commonName }]);
  cert.setIssuer(authority.cert.subject.attributes);
  const altNames = (request.altNames ?? []).map((name) =>
    /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":")
      ? { type: 7, ip: name }
      : { type: 2, value: name },
  );
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: "extKeyUsage",
      clientAuth: request.usage === "client",
      serverAuth: request.usage === "server",
    },
    ...(altNames.length > 0 ? [{ name: "subjectAltName", altNames }] : []),
  ]);
  cert.sign(authority.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Issues from a PEM CSR, as the center's CA does for a box (the CSR's signature is checked). */
export function issueFromCsr(
  authority: Authority,
  csrPem: string,
  usage: "client" | "server" = "client",
): string {
  const csr = loadForge().pki.certificationRequestFromPem(csrPem);
  if (!csr.verify()) throw new Error("the CSR's signature does not verify");
  const cn = csr.subject.getField("CN") as { value: string } | null;
  return issueCertificate(authority, {
    commonName: cn?.value ?? "unknown",
    publicKey: csr.publicKey as Forge.pki.rsa.PublicKey,
    usage,
  });
}

export interface DevPkiFiles {
  ca: string;
  caKey: string;
  brokerCert: string;
  brokerKey: string;
  clientCert: string;
  clientKey: string;
  /** The reference center's client certificate (CN "center", as the deployment ACL expects). */
  centerCert: string;
  centerKey: string;
  /**
   * The center's command sender's (CN "center-commands"): a broker that ties the client id to
   * the certificate keeps one session per certificate, so the receiver and the sender need one
   * each.
   */
  commandsCert: string;
  commandsKey: string;
}

/**
 * A development PKI in `dir`: a CA, a broker certificate for the given names, and client
 * certificates for the site, the center's receiver and its command sender. Keys are written 0600.
 */
export async function createDevPki(
  dir: string,
  siteId: string,
  brokerNames: readonly string[],
): Promise<DevPkiFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const authority = createAuthority("camgate development CA");
  const broker = keyPair(2048);
  const client = keyPair(2048);
  const center = keyPair(2048);
  const commands = keyPair(2048);
  const files: DevPkiFiles = {
    ca: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    brokerCert: join(dir, "broker.pem"),
    brokerKey: join(dir, "broker.key"),
    clientCert: join(dir, `${siteId}.pem`),
    clientKey: join(dir, `${siteId}.key`),
    centerCert: join(dir, "center.pem"),
    centerKey: join(dir, "center.key"),
    commandsCert: join(dir, "center-commands.pem"),
    commandsKey: join(dir, "center-commands.key"),
  };
  await writeFileAtomic(files.ca, authority.certPem);
  await writeFileAtomic(files.caKey, authority.keyPem, 0o600);
  await writeFileAtomic(
    files.brokerCert,
    issueCertificate(authority, {
      commonName: brokerNames[0] ?? "localhost",
      publicKey: broker.publicKey,
      usage: "server",
      altNames: brokerNames,
    }),
  );
  await writeFileAtomic(files.brokerKey, broker.pem, 0o600);
  await writeFileAtomic(
    files.clientCert,
    issueCertificate(authority, {
      commonName: siteId,
      publicKey: client.publicKey,
      usage: "client",
    }),
  );
  await writeFileAtomic(files.clientKey, client.pem, 0o600);
  await writeFileAtomic(
    files.centerCert,
    issueCertificate(authority, {
      commonName: "center",
      publicKey: center.publicKey,
      usage: "client",
    }),
  );
  await writeFileAtomic(files.centerKey, center.pem, 0o600);
  await writeFileAtomic(
    files.commandsCert,
    issueCertificate(authority, {
      commonName: "center-commands",
      publicKey: commands.publicKey,
      usage: "client",
    }),
  );
  await writeFileAtomic(files.commandsKey, commands.pem, 0o600);
  return files;
}
