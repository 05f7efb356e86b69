import { createPublicKey, type X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import forge from "node-forge";
import { CamgateError } from "../errors.js";
import {
  type Authority,
  issueCertificate,
  keyTypeOf,
  parseCertificates,
  readPrivateKey,
  siteNamedBy,
  verifyChain,
} from "../pki/index.js";
import {
  type CertificateIssued,
  certificateRequestSchema,
  MAX_CERTIFICATE_MESSAGE_BYTES,
} from "../protocol/index.js";

/** The longest validity the reference issuer gives (the CA/Browser Forum's TLS ceiling). */
export const MAX_ISSUED_DAYS = 397;

/** A certificate request the policy does not allow. */
export class IssuePolicyError extends CamgateError {}

export interface IssuerConfig {
  /** The issuing CA's certificate and key (PEM files; the key 0600). */
  ca: string;
  key: string;
  /** Validity of an issued certificate, days (at most MAX_ISSUED_DAYS). */
  days: number;
}

export interface Issued {
  site: string;
  answer: CertificateIssued;
  /** The certificate issued (PEM), when one was. */
  certificate?: string;
}

function refuse(message: string): never {
  throw new IssuePolicyError(message);
}

/**
 * The reference center's issuing role: answers a box's `cert/request` under a policy. The CSR
 * must be signed by its key and name the site (CN) the request came from (the broker's ACL lets
 * only the certificate whose CN is that site write there); the certificate the box connects with
 * now must be ours, valid and name that site; the new key must be of its type. The certificate
 * has only the CN, clientAuth, and at most `days` of validity, never beyond the CA's own.
 */
export class CertificateIssuer {
  private constructor(
    private readonly authority: Authority,
    private readonly anchors: X509Certificate[],
    private readonly days: number,
  ) {}

  static async open(config: IssuerConfig, trusted: X509Certificate[]): Promise<CertificateIssuer> {
    const caPem = await readFile(config.ca, "utf8");
    const keyPem = await readPrivateKey(config.key);
    const cert = forge.pki.certificateFromPem(caPem);
    const key = forge.pki.privateKeyFromPem(keyPem);
    const anchors = [...trusted, ...parseCertificates(caPem, "the issuer's CA file")];
    return new CertificateIssuer({ cert, key }, anchors, Math.min(config.days, MAX_ISSUED_DAYS));
  }

  /** The answer to one request on `camgate/v1/<site>/cert/request`. */
  answer(site: string, payload: Buffer, nowMs = Date.now()): Issued | undefined {
    if (payload.length > MAX_CERTIFICATE_MESSAGE_BYTES) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString("utf8"));
    } catch {
      return undefined;
    }
    const parsed = certificateRequestSchema.safeParse(json);
    if (!parsed.success) return undefined;
    const request = parsed.data;
    const base = { schema: "camgate.cert-issued/1" as const, requestId: request.requestId };
    try {
      const certificate = this.#issue(site, request, nowMs);
      return { site, certificate, answer: { ...base, certificate } };
    } catch (error) {
      const code = error instanceof IssuePolicyError ? "refused" : "failed";
      const message = error instanceof Error ? error.message : String(error);
      return { site, answer: { ...base, error: { code, message: message.slice(0, 1000) } } };
    }
  }

  #issue(site: string, request: { csr: string; currentCertificate: string }, nowMs: number) {
    const [current, ...intermediates] = parseCertificates(
      request.currentCertificate,
      "the current certificate",
    );
    if (!current) return refuse("no current certificate");
    try {
      verifyChain(current, intermediates, this.anchors, nowMs);
    } catch (error) {
      throw new IssuePolicyError("the current certificate is not ours", { cause: error });
    }
    if (Date.parse(current.validTo) <= nowMs || Date.parse(current.validFrom) > nowMs)
      refuse("the current certificate is not valid now");
    if (siteNamedBy(current, site) === undefined)
      refuse(`the current certificate does not name site ${site}`);
    let csr: ReturnType<typeof forge.pki.certificationRequestFromPem>;
    try {
      csr = forge.pki.certificationRequestFromPem(request.csr);
    } catch (error) {
      throw new IssuePolicyError("the CSR cannot be read", { cause: error });
    }
    let verified = false;
    try {
      verified = csr.verify(); // forge throws on some bad signatures, returns false on others
    } catch {
      verified = false;
    }
    if (!verified) refuse("the CSR's signature does not verify");
    const cn = (csr.subject.getField("CN") as { value?: unknown } | null)?.value;
    if (cn !== site) refuse(`the CSR's CN is ${String(cn)}; it must be the site id ${site}`);
    const publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
    const newType = keyTypeOf(createPublicKey(forge.pki.publicKeyToPem(publicKey)));
    const currentType = keyTypeOf(current.publicKey);
    if (newType !== currentType)
      refuse(`the new key is ${newType}; the current certificate's is ${currentType}`);
    const caEnd = this.authority.cert.validity.notAfter.getTime();
    return issueCertificate(this.authority, {
      commonName: site,
      publicKey,
      usage: "client",
      notBefore: new Date(nowMs - 300_000),
      notAfter: new Date(Math.min(nowMs + this.days * 86_400_000, caEnd)),
    });
  }
}
