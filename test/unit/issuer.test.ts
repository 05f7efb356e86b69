import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import forge from "node-forge";
import { CertificateIssuer } from "../../src/center/issuer.js";
import {
  type Authority,
  createAuthority,
  createCsrPem,
  generatePrivateKeyPem,
  issueCertificate,
} from "../../src/pki/index.js";
import { tempDir } from "../helpers/temp.js";

const ours = createAuthority("issuer test CA");
const foreign = createAuthority("another CA");
const DAY = 86_400_000;

function certFor(authority: Authority, keyPem: string, cn: string, notAfter?: Date): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  return issueCertificate(authority, {
    commonName: cn,
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    usage: "client",
    ...(notAfter ? { notAfter } : {}),
  });
}

async function issuer(t: TestContext, days = 90): Promise<CertificateIssuer> {
  const dir = await tempDir(t);
  await writeFile(join(dir, "ca.pem"), ours.certPem);
  await writeFile(join(dir, "ca.key"), ours.keyPem, { mode: 0o600 });
  return CertificateIssuer.open({ ca: join(dir, "ca.pem"), key: join(dir, "ca.key"), days }, [
    new X509Certificate(ours.certPem),
  ]);
}

const current = generatePrivateKeyPem(2048);
const next = generatePrivateKeyPem(2048);

function request(fields: { csr?: string; currentCertificate?: string } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schema: "camgate.cert-request/1",
      requestId: "AAAAAAAAAAAAAAAAAAAAAA",
      reason: "expiry",
      keyType: "rsa-2048",
      csr: fields.csr ?? createCsrPem(next, "site-i", "machine-1"),
      currentCertificate:
        fields.currentCertificate ??
        certFor(ours, current, "site-i", new Date(Date.now() + 5 * DAY)),
      ts: new Date().toISOString(),
    }),
  );
}

/** A CSR for the next key signed by another key: it does not prove the key is the box's. */
function signedByAnother(): string {
  const key = forge.pki.privateKeyFromPem(next);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: "commonName", value: "site-i" }]);
  csr.sign(forge.pki.privateKeyFromPem(current), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

function refusal(answer: ReturnType<CertificateIssuer["answer"]>): string {
  assert.ok(answer && "error" in answer.answer, JSON.stringify(answer));
  assert.equal(answer.answer.error.code, "refused", answer.answer.error.message);
  return answer.answer.error.message;
}

describe("issuer: the reference center's policy for renewed certificates", () => {
  it("issues for the site's own new key: CN the site, clientAuth, the validity asked (bounded)", async (t) => {
    const answer = (await issuer(t, 5000)).answer("site-i", request());
    assert.ok(answer?.certificate, JSON.stringify(answer));
    const cert = new X509Certificate(answer.certificate);
    assert.equal(cert.subject, "CN=site-i");
    assert.ok(cert.checkIssued(new X509Certificate(ours.certPem)));
    assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.2"]);
    const days = (Date.parse(cert.validTo) - Date.now()) / DAY;
    assert.ok(days > 396 && days <= 397, `${days} days: at most 397`);
  });

  it("refuses a CSR for another site, a current certificate of another site or CA or expired, another key type, an unsigned CSR", async (t) => {
    const center = await issuer(t);
    assert.match(
      refusal(center.answer("site-i", request({ csr: createCsrPem(next, "site-x", "m") }))),
      /CN is site-x; it must be the site id site-i/,
    );
    assert.match(
      refusal(
        center.answer("site-i", request({ currentCertificate: certFor(ours, current, "site-x") })),
      ),
      /does not name site site-i/,
    );
    assert.match(
      refusal(
        center.answer(
          "site-i",
          request({ currentCertificate: certFor(foreign, current, "site-i") }),
        ),
      ),
      /not ours/,
    );
    const expired = certFor(ours, current, "site-i", new Date(Date.now() - 1000));
    assert.match(
      refusal(center.answer("site-i", request({ currentCertificate: expired }))),
      /not valid now/,
    );
    const bigger = createCsrPem(generatePrivateKeyPem(3072), "site-i", "m");
    assert.match(
      refusal(center.answer("site-i", request({ csr: bigger }))),
      /new key is rsa-3072; the current certificate's is rsa-2048/,
    );
    assert.match(
      refusal(center.answer("site-i", request({ csr: signedByAnother() }))),
      /signature does not verify/,
    );
    assert.equal(center.answer("site-i", Buffer.from("{not json")), undefined);
  });
});
