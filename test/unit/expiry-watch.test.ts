import assert from "node:assert/strict";
import { describe, it } from "node:test";
import forge from "node-forge";
import {
  type CertificateHealth,
  CertificateWatch,
  createAuthority,
  EXPIRY_WARNING_DAYS,
  generatePrivateKeyPem,
  issueCertificate,
} from "../../src/pki/index.js";

const DAY_MS = 86_400_000;

describe("certificate expiry watch", () => {
  const authority = createAuthority("watch test CA");
  const key = forge.pki.privateKeyFromPem(generatePrivateKeyPem(2048));
  const certificateEnding = (endMs: number) =>
    issueCertificate(authority, {
      commonName: "site-w",
      publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
      usage: "client",
      notBefore: new Date(endMs - 365 * DAY_MS),
      notAfter: new Date(endMs),
    });
  const start = Date.UTC(2026, 10, 23, 12);

  it("says nothing while more than 30 days are left, and reports the figures", () => {
    const pem = certificateEnding(start + 90 * DAY_MS);
    const warnings: CertificateHealth[] = [];
    const watch = new CertificateWatch(
      () => pem,
      (health) => warnings.push(health),
      () => start,
    );
    const health = watch.check();
    assert.equal(health.daysLeft, 90);
    assert.match(health.subject, /site-w/);
    assert.match(health.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/i);
    assert.deepEqual(warnings, []);
  });

  it(`warns from ${EXPIRY_WARNING_DAYS} days before the end, once a day`, () => {
    const pem = certificateEnding(start + 40 * DAY_MS);
    let now = start;
    const warnings: number[] = [];
    const watch = new CertificateWatch(
      () => pem,
      (health) => warnings.push(health.daysLeft),
      () => now,
    );
    for (let hour = 0; hour < 24 * 15; hour++) {
      now = start + hour * 3_600_000;
      watch.check();
    }
    // From hour 239 (30 whole days left) on: one warning a day, not one an hour.
    assert.deepEqual(warnings, [30, 29, 28, 27, 26, 25]);
  });
});
