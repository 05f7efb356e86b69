import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { type CertificateSummary, CertificateError, summarize } from "./certificates.js";
import { allowsClientAuth } from "./usage.js";

const MAX_CHAIN = 8;

/** Every certificate of a PEM text, in order (a certificate file may carry its chain). */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CertificateError(`${what} holds no PEM certificate`);
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (error) {
    throw new CertificateError(`${what} holds a damaged PEM certificate`, { cause: error });
  }
}

function oneLine(name: string): string {
  return name.replaceAll("\n", ", ");
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function assertValidAt(cert: X509Certificate, nowMs: number, what: string): void {
  if (Date.parse(cert.validFrom) > nowMs)
    throw new CertificateError(
      `${what} is not valid before ${new Date(cert.validFrom).toISOString()}`,
    );
  if (Date.parse(cert.validTo) <= nowMs)
    throw new CertificateError(`${what} expired on ${new Date(cert.validTo).toISOString()}`);
}

/**
 * The leaf chains to one of `anchors` (the configured CA file), directly or through the
 * intermediates that came with it (step-ca and most CA products hand out leaf + intermediate).
 * Signatures, names and CA flags are checked on each link, validity on each intermediate.
 */
export function verifyChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  nowMs = Date.now(),
): void {
  if (!anchors.some((anchor) => anchor.ca))
    throw new CertificateError("the CA file is not a CA certificate");
  let current = leaf;
  const used = new Set<X509Certificate>();
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (anchors.some((anchor) => anchor.ca && issuedBy(current, anchor))) return;
    const next = intermediates.find(
      (candidate) => candidate.ca && !used.has(candidate) && issuedBy(current, candidate),
    );
    if (!next) break;
    assertValidAt(next, nowMs, `the intermediate CA ${oneLine(next.subject)}`);
    used.add(next);
    current = next;
  }
  throw new CertificateError(
    `the certificate was not issued by the given CA (${anchors.map((a) => oneLine(a.subject)).join("; ")})`,
  );
}

function subjectAltNames(cert: X509Certificate): { type: string; value: string }[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  return text.split(", ").map((entry) => {
    const colon = entry.indexOf(":");
    const raw = entry.slice(colon + 1);
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    return { type: entry.slice(0, colon), value };
  });
}

/**
 * What in the certificate names the site, or undefined: its CN, a DNS subjectAltName equal to
 * the site id, or a URI subjectAltName whose last segment is the site id (SPIFFE-style
 * `spiffe://center/camgate/<id>`, or `urn:camgate:site:<id>`). Other subject attributes a CA
 * keeps from the CSR (serialNumber, O) or adds (OU, C) do not matter.
 */
export function siteNamedBy(cert: X509Certificate, siteId: string): string | undefined {
  if (siteId === "") return undefined;
  const commonNames = cert.subject
    .split("\n")
    .filter((line) => line.startsWith("CN="))
    .map((line) => line.slice(3));
  if (commonNames.includes(siteId)) return `CN=${siteId}`;
  for (const { type, value } of subjectAltNames(cert)) {
    if (type === "DNS" && value === siteId) return `DNS:${value}`;
    if (type === "URI" && value.split(/[/:]/).pop() === siteId) return `URI:${value}`;
  }
  return undefined;
}

/** The certificate is for this private key (their public keys are the same). */
export function certificateMatchesKey(cert: X509Certificate, keyPem: string): boolean {
  return sameKey(cert, keyPem);
}

function sameKey(cert: X509Certificate, keyPem: string): boolean {
  const digest = (der: Buffer) => createHash("sha256").update(der).digest();
  const ours = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const theirs = cert.publicKey.export({ type: "spki", format: "der" });
  return digest(ours).equals(digest(theirs));
}

export interface BoxCertificateCheck {
  /** The site the box speaks for: the certificate must name it. */
  siteId: string;
  nowMs?: number;
}

/**
 * What `cert install` and provisioning check before anything is written: the certificate (with
 * any intermediates after it in the file) belongs to our key, chains to the given CA, is valid
 * now, allows TLS client authentication, and names the site.
 */
export function verifyBoxCertificate(
  certPem: string,
  caPem: string,
  keyPem: string,
  { siteId, nowMs = Date.now() }: BoxCertificateCheck,
): CertificateSummary & { siteName: string } {
  const [leaf, ...intermediates] = parseCertificates(certPem, "the certificate file");
  const anchors = parseCertificates(caPem, "the CA file");
  if (!leaf) throw new CertificateError("the certificate file holds no PEM certificate");
  if (!sameKey(leaf, keyPem))
    throw new CertificateError(
      "the certificate is not for this box's key (was the CSR made from another key?)",
    );
  verifyChain(leaf, intermediates, anchors, nowMs);
  assertValidAt(leaf, nowMs, "the certificate");
  if (!allowsClientAuth(leaf))
    throw new CertificateError(
      "the certificate does not allow TLS client authentication (its extendedKeyUsage lacks clientAuth, or its keyUsage lacks digitalSignature)",
    );
  const siteName = siteNamedBy(leaf, siteId);
  if (siteName === undefined) {
    const altNames = leaf.subjectAltName ? `, subjectAltName ${leaf.subjectAltName}` : "";
    throw new CertificateError(
      `the certificate is for ${oneLine(leaf.subject)}${altNames}; this box is site ${siteId || "?"}: its CN, or a subjectAltName (DNS, or URI ending in /${siteId} or :${siteId}), must be the site id`,
    );
  }
  return { ...summarize(leaf.toString(), nowMs), siteName };
}
