import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { type DerElement, DerError, derChildren, derOid, derRoot } from "../../src/pki/der.js";
import { signatureAlgorithm } from "../../src/pki/index.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/** A self-signed certificate made by the openssl CLI with the given key and digest options. */
async function opensslCert(t: TestContext, options: string[]): Promise<X509Certificate> {
  const dir = await tempDir(t);
  const out = join(dir, "cert.pem");
  await run("openssl", [
    ...["req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=camera"],
    ...["-keyout", join(dir, "key.pem"), "-out", out, ...options],
  ]);
  return new X509Certificate(await readFile(out));
}

/** Walks every constructed element, as far down as it goes. */
function walk(bytes: Uint8Array, element: DerElement): number {
  if ((element.tag & 0x20) === 0) return 1;
  return derChildren(bytes, element).reduce((count, child) => count + walk(bytes, child), 1);
}

describe("der", () => {
  it("names the signature algorithm of certificates the openssl CLI signed", async (t) => {
    const cases: [string[], string][] = [
      [["-newkey", "rsa:2048", "-sha256"], "sha256WithRSAEncryption"],
      [["-newkey", "rsa:2048", "-sha1"], "sha1WithRSAEncryption"],
      [["-newkey", "rsa:2048", "-sha512"], "sha512WithRSAEncryption"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha256"], "ecdsa-with-SHA256"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-sha1"], "ecdsa-with-SHA1"],
      [["-newkey", "ed25519"], "ED25519"],
    ];
    for (const [options, expected] of cases) {
      const cert = await opensslCert(t, options);
      assert.equal(signatureAlgorithm(cert), expected, options.join(" "));
    }
  });

  it("reads object identifiers, long arcs included", () => {
    const oid = (hex: string) => {
      const bytes = Buffer.from(hex, "hex");
      return derOid(bytes, derRoot(bytes));
    };
    assert.equal(oid("06092a864886f70d01010b"), "1.2.840.113549.1.1.11");
    assert.equal(oid("06032b6570"), "1.3.101.112");
    assert.equal(oid("0603883703"), "2.999.3");
    assert.throws(() => oid("06022a86"), DerError, "a last arc cut short");
    assert.throws(() => oid("0600"), DerError, "an empty identifier");
    assert.throws(() => oid("0609ffffffffffffffffff"), DerError, "an arc past 2^53");
  });

  it("refuses what is not DER, within the element that holds it", () => {
    const refused = [
      "30", // no length
      "3080020100", // BER's indefinite length
      "30850100000000", // five bytes of length
      "3084ffffffff00", // a length past the end
      "3003020500", // a child past its parent
      "1f0100", // a multi-byte tag
    ];
    for (const hex of refused) {
      const bytes = Buffer.from(hex, "hex");
      assert.throws(() => walk(bytes, derRoot(bytes)), DerError, hex);
    }
    const inner = Buffer.from("30040203010203", "hex");
    assert.throws(() => walk(inner, derRoot(inner)), DerError, "a child that overruns");
  });

  it("walks any corruption of a real certificate to an answer or a DerError", async (t) => {
    const cert = await opensslCert(t, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    const original = new Uint8Array(cert.raw);
    assert.ok(walk(original, derRoot(original)) > 20);
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 2000; round++) {
      const bytes = original.slice(0, 1 + Math.floor(random() * original.length));
      for (let flips = 0; flips < 3; flips++)
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        walk(bytes, derRoot(bytes));
      } catch (error) {
        assert.ok(error instanceof DerError, String(error));
      }
    }
  });
});
