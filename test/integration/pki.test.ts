import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { access, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import forge from "node-forge";
import { createAuthority, issueCertificate, issueFromCsr } from "../../src/pki/index.js";
import { signPayload, verifyPayload } from "../../src/protocol/index.js";
import { runCamgate } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

async function boxSetup(t: TestContext) {
  const dir = await tempDir(t);
  const config = join(dir, "camgate.yaml");
  const paths = {
    key: join(dir, "keys", "box.key"),
    cert: join(dir, "box.pem"),
    ca: join(dir, "ca.pem"),
  };
  await writeFile(
    config,
    `site: {id: hn-test-01}\nstore: {path: ${join(dir, "db")}}\nuplink:\n  brokers: [mqtts://localhost:8883]\n  ca: ${paths.ca}\n  cert: ${paths.cert}\n  key: ${paths.key}\n`,
  );
  return { dir, config, paths };
}

function rsaPublicKey(): forge.pki.rsa.PublicKey {
  const { publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return forge.pki.publicKeyFromPem(publicKey);
}

describe("box identity", () => {
  it("keygen, csr, a center issues, install, show: the technician's path", async (t) => {
    const { dir, config, paths } = await boxSetup(t);
    const keygen = await runCamgate(["--config", config, "cert", "keygen"]);
    assert.equal(keygen.code, 0, keygen.stderr);
    assert.equal((await stat(paths.key)).mode & 0o777, 0o600);
    const again = await runCamgate(["--config", config, "cert", "keygen"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const csr = await runCamgate([
      "--config",
      config,
      "cert",
      "csr",
      "--cn",
      "hn-test-01",
      "-o",
      join(dir, "box.csr"),
    ]);
    assert.equal(csr.code, 0, csr.stderr);
    assert.match(csr.stdout, /^-----BEGIN CERTIFICATE REQUEST-----/);
    const { stdout: subject } = await run("openssl", [
      "req",
      "-in",
      join(dir, "box.csr"),
      "-noout",
      "-verify",
      "-subject",
    ]);
    assert.match(subject, /CN ?= ?hn-test-01/);
    const { stdout: bits } = await run("openssl", [
      "req",
      "-in",
      join(dir, "box.csr"),
      "-noout",
      "-text",
    ]);
    assert.match(bits, /3072 bit/);

    const center = createAuthority("Commune center CA");
    const issued = join(dir, "issued.pem");
    const centerCa = join(dir, "center-ca.pem");
    await writeFile(issued, issueFromCsr(center, csr.stdout));
    await writeFile(centerCa, center.certPem);
    const install = await runCamgate([
      "--config",
      config,
      "cert",
      "install",
      issued,
      "--ca",
      centerCa,
      "--json",
    ]);
    assert.equal(install.code, 0, install.stderr);
    assert.equal((JSON.parse(install.stdout) as { clientAuth: boolean }).clientAuth, true);
    const { stdout: verified } = await run("openssl", ["verify", "-CAfile", paths.ca, paths.cert]);
    assert.match(verified, /OK/);

    const show = await runCamgate(["--config", config, "cert", "show", "--json"]);
    const summary = JSON.parse(show.stdout) as {
      subject: string;
      issuer: string;
      daysLeft: number;
      fingerprintSha256: string;
    };
    assert.match(summary.subject, /CN=hn-test-01/);
    assert.match(summary.issuer, /CN=Commune center CA/);
    assert.ok(summary.daysLeft > 800);
    assert.equal(
      summary.fingerprintSha256,
      new X509Certificate(await readFile(paths.cert)).fingerprint256,
    );
  });

  it("install refuses a certificate for another key, from another CA, expired, or without clientAuth, and writes nothing", async (t) => {
    const { dir, config, paths } = await boxSetup(t);
    assert.equal(
      (await runCamgate(["--config", config, "cert", "keygen", "--bits", "2048"])).code,
      0,
    );
    const csr = (await runCamgate(["--config", config, "cert", "csr", "--cn", "hn-test-01"]))
      .stdout;
    const center = createAuthority("Commune center CA");
    const stranger = createAuthority("Some other CA");
    const ownKey = forge.pki.certificationRequestFromPem(csr).publicKey as forge.pki.rsa.PublicKey;
    const cases: [string, string, RegExp][] = [
      [
        "another key",
        issueCertificate(center, {
          commonName: "hn-test-01",
          publicKey: rsaPublicKey(),
          usage: "client",
        }),
        /not for this box's key/,
      ],
      ["another CA", issueFromCsr(stranger, csr), /not issued by the given CA/],
      [
        "expired",
        issueCertificate(center, {
          commonName: "hn-test-01",
          publicKey: ownKey,
          usage: "client",
          notBefore: new Date(Date.now() - 10 * 86_400_000),
          notAfter: new Date(Date.now() - 86_400_000),
        }),
        /expired/,
      ],
      [
        "no clientAuth",
        issueCertificate(center, { commonName: "hn-test-01", publicKey: ownKey, usage: "server" }),
        /client authentication/,
      ],
    ];
    await writeFile(join(dir, "center-ca.pem"), center.certPem);
    for (const [name, pem, message] of cases) {
      const file = join(dir, `${name}.pem`);
      await writeFile(file, pem);
      const result = await runCamgate([
        "--config",
        config,
        "cert",
        "install",
        file,
        "--ca",
        join(dir, "center-ca.pem"),
      ]);
      assert.equal(result.code, 1, name);
      assert.match(result.stderr, message, name);
      await assert.rejects(access(paths.cert), `${name}: nothing installed`);
      await assert.rejects(access(paths.ca), `${name}: nothing installed`);
    }
  });

  it("pki dev-ca writes a CA, a broker and a client certificate that openssl accepts", async (t) => {
    const dir = await tempDir(t);
    const result = await runCamgate([
      "pki",
      "dev-ca",
      "--out",
      dir,
      "--site",
      "hn-test-01",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const files = JSON.parse(result.stdout) as Record<string, string>;
    for (const key of ["caKey", "brokerKey", "clientKey", "centerKey", "commandsKey"])
      assert.equal((await stat(files[key]!)).mode & 0o777, 0o600, key);
    for (const [cert, purpose] of [
      [files.brokerCert!, "sslserver"],
      [files.clientCert!, "sslclient"],
      [files.centerCert!, "sslclient"],
      [files.commandsCert!, "sslclient"],
    ] as const) {
      const { stdout } = await run("openssl", [
        "verify",
        "-purpose",
        purpose,
        "-CAfile",
        files.ca!,
        cert,
      ]);
      assert.match(stdout, /OK/);
    }
    const broker = new X509Certificate(await readFile(files.brokerCert!));
    assert.ok(broker.checkIP("127.0.0.1"));
    assert.ok(broker.checkHost("localhost"));
    assert.match(new X509Certificate(await readFile(files.clientCert!)).subject, /CN=hn-test-01/);
    assert.match(new X509Certificate(await readFile(files.centerCert!)).subject, /CN=center$/);
    assert.match(
      new X509Certificate(await readFile(files.commandsCert!)).subject,
      /CN=center-commands$/,
    );
  });
});

describe("signatures", () => {
  it("verify over canonical JSON, with the key or its certificate, and detect any change", () => {
    const authority = createAuthority("signing test");
    const payload = { camera: "cam-1", summary: { pass: 3, fail: 1 }, at: 1 };
    const signature = signPayload(payload, authority.keyPem);
    assert.ok(
      verifyPayload(
        { at: 1, summary: { fail: 1, pass: 3 }, camera: "cam-1" },
        signature,
        authority.certPem,
      ),
      "key order does not matter",
    );
    assert.equal(verifyPayload({ ...payload, at: 2 }, signature, authority.certPem), false);
    assert.equal(verifyPayload(payload, `${signature.slice(0, -4)}AAAA`, authority.certPem), false);
    assert.equal(verifyPayload(payload, signature, createAuthority("other").certPem), false);
    assert.equal(verifyPayload(payload, "not base64 at all", authority.certPem), false);
  });
});
