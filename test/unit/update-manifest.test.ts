import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import {
  compareVersions,
  parseUpdateChunkHeader,
  type ReleaseManifest,
  signedManifestSchema,
  signManifest,
  updateChunkProperties,
  verifyManifest,
} from "../../src/protocol/index.js";

const manifest: ReleaseManifest = {
  schema: "camgate.release/1",
  version: "1.4.0",
  sha256: "a".repeat(64),
  size: 123_456,
  minimumVersion: "1.2.0",
  file: "camgate-1.4.0.tgz",
  createdAt: "2026-12-03T04:00:00.000Z",
};

function pair(type: "ed25519" | "p256" | "rsa") {
  const keys =
    type === "ed25519"
      ? generateKeyPairSync("ed25519")
      : type === "p256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

describe("update manifests", () => {
  for (const [type, algorithm] of [
    ["ed25519", "Ed25519"],
    ["p256", "ECDSA-P256-SHA256"],
  ] as const) {
    it(`signs with ${algorithm} and verifies only the manifest as signed, with that key`, () => {
      const key = pair(type);
      const signed = signManifest(manifest, key.privatePem);
      assert.equal(signed.signature.algorithm, algorithm);
      assert.ok(signedManifestSchema.safeParse(signed).success);
      assert.equal(verifyManifest(signed, key.publicPem), true);
      const tampered = { ...signed, manifest: { ...manifest, minimumVersion: "0.0.1" } };
      assert.equal(verifyManifest(tampered, key.publicPem), false, "a changed member");
      assert.equal(verifyManifest(signed, pair(type).publicPem), false, "another key");
      const relabelled = {
        ...signed,
        signature: { ...signed.signature, algorithm: "Ed25519" as const },
      };
      if (type === "p256") assert.equal(verifyManifest(relabelled, key.publicPem), false);
    });
  }

  it("refuses to sign with a key that is neither Ed25519 nor P-256, and never verifies with one", () => {
    const rsa = pair("rsa");
    assert.throws(() => signManifest(manifest, rsa.privatePem), /Ed25519 or ECDSA P-256/);
    const signed = signManifest(manifest, pair("ed25519").privatePem);
    assert.equal(verifyManifest(signed, rsa.publicPem), false);
    assert.equal(verifyManifest(signed, "not a key"), false);
  });

  it("compares versions as numbers", () => {
    assert.ok(compareVersions("0.10.0", "0.9.9") > 0);
    assert.ok(compareVersions("1.0.0", "1.0.1") < 0);
    assert.equal(compareVersions("2.3.4", "2.3.4"), 0);
    assert.equal(
      signedManifestSchema.safeParse({ manifest: { ...manifest, version: "1.4" } }).success,
      false,
    );
  });

  it("reads back the chunk properties it writes, and nothing malformed", () => {
    const header = { version: "1.4.0", sha256: "b".repeat(64), offset: 16_384, size: 99_999 };
    assert.deepEqual(parseUpdateChunkHeader(updateChunkProperties(header)), header);
    for (const bad of [
      { ...updateChunkProperties(header), offset: "-1" },
      { ...updateChunkProperties(header), version: "1.4.0-rc1" },
      { ...updateChunkProperties(header), sha256: "B".repeat(64) },
      { version: "1.4.0" },
    ])
      assert.equal(parseUpdateChunkHeader(bad), undefined, JSON.stringify(bad));
  });
});
