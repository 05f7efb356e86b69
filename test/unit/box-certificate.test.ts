import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { allowsClientAuth, siteNamedBy } from "../../src/pki/index.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/** A self-signed certificate from the openssl CLI with the given subject and extensions. */
async function opensslCert(
  t: TestContext,
  subject: string,
  extensions: string[] = [],
): Promise<X509Certificate> {
  const dir = await tempDir(t);
  const out = join(dir, "cert.pem");
  await run("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", join(dir, "key.pem"), "-out", out, "-days", "1", "-subj", subject],
    ...extensions.flatMap((extension) => ["-addext", extension]),
  ]);
  return new X509Certificate(await readFile(out));
}

describe("box-certificate: what names the site", () => {
  it("the CN wherever it stands among other attributes, a DNS SAN, a URI SAN's last segment", async (t) => {
    const cases: [string, string[], string | undefined][] = [
      ["/O=camgate/CN=hn-01/serialNumber=42", [], "CN=hn-01"],
      ["/CN=box-42", ["subjectAltName=DNS:hn-01"], "DNS:hn-01"],
      ["/CN=box-42", ["subjectAltName=URI:urn:camgate:site:hn-01"], "URI:urn:camgate:site:hn-01"],
      [
        "/CN=box-42",
        ["subjectAltName=DNS:box-42.example,URI:spiffe://center.example/camgate/hn-01"],
        "URI:spiffe://center.example/camgate/hn-01",
      ],
      ["/CN=hn-01x", ["subjectAltName=URI:spiffe://center.example/camgate/hn-01x"], undefined],
      ["/CN=box-42", ["subjectAltName=URI:spiffe://center.example/hn-01/box"], undefined],
      ["/CN=box-42", ["subjectAltName=DNS:hn-01.example"], undefined],
      ["/O=hn-01/OU=hn-01", [], undefined],
    ];
    for (const [subject, extensions, expected] of cases) {
      const cert = await opensslCert(t, subject, extensions);
      assert.equal(siteNamedBy(cert, "hn-01"), expected, `${subject} ${extensions.join(" ")}`);
    }
    assert.equal(siteNamedBy(await opensslCert(t, "/CN=x"), ""), undefined, "no site, no name");
  });
});

describe("box-certificate: TLS client authentication", () => {
  it("no restriction, clientAuth or anyExtendedKeyUsage with digitalSignature; not others", async (t) => {
    const cases: [string[], boolean][] = [
      [[], true],
      [["extendedKeyUsage=clientAuth"], true],
      [["extendedKeyUsage=anyExtendedKeyUsage"], true],
      [["extendedKeyUsage=serverAuth,clientAuth", "keyUsage=critical,digitalSignature"], true],
      [["extendedKeyUsage=serverAuth"], false],
      [["extendedKeyUsage=emailProtection"], false],
      [["keyUsage=critical,keyAgreement"], false],
      [["keyUsage=critical,nonRepudiation,keyEncipherment"], false],
    ];
    for (const [extensions, expected] of cases) {
      const cert = await opensslCert(t, "/CN=hn-01", extensions);
      assert.equal(allowsClientAuth(cert), expected, extensions.join(" ") || "no extensions");
    }
  });
});
