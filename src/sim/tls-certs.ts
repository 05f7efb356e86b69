import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface CertificateMaterial {
  certPem: string;
  keyPem: string;
}

interface Issuer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

// node:crypto generates the keys (forge's pure-JS RSA takes seconds); forge builds the X.509.
function rsaKey(bits: number): {
  forgeKey: forge.pki.rsa.PrivateKey;
  keyPem: string;
  publicKey: forge.pki.rsa.PublicKey;
} {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey);
  return {
    forgeKey,
    keyPem: privateKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
  };
}

function baseCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  commonName: string,
  years: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3_600_000);
  cert.setSubject([
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "CamgateSim" },
  ]);
  return cert;
}

/** The vendor CA that signs the hardened cameras' certificates for one simulator run. */
export function createSimulatorCa(): Issuer & { certPem: string } {
  const { forgeKey, publicKey } = rsaKey(2048);
  const cert = baseCertificate(publicKey, "CamgateSim Device CA", 10);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { cert, key: forgeKey, certPem: forge.pki.certificateToPem(cert) };
}

/**
 * A camera's HTTPS certificate. Hardened: RSA-2048, SHA-256, signed by the simulator CA, the
 * camera's address in subjectAltName. Legacy: RSA-1024, SHA-1, self-signed, as old firmware ships.
 */
export function cameraCertificate(
  host: string,
  legacy: boolean,
  issuer: Issuer,
): CertificateMaterial {
  const { forgeKey, keyPem, publicKey } = rsaKey(legacy ? 1024 : 2048);
  const cert = baseCertificate(publicKey, legacy ? "IPCamera" : host, legacy ? 20 : 2);
  cert.setIssuer(legacy ? cert.subject.attributes : issuer.cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
    { name: "extKeyUsage", serverAuth: true },
    ...(legacy ? [] : [{ name: "subjectAltName", altNames: [{ type: 7, ip: host }] }]),
  ]);
  cert.sign(
    legacy ? forgeKey : issuer.key,
    legacy ? forge.md.sha1.create() : forge.md.sha256.create(),
  );
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
