import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { runCamgate } from "../helpers/cli.js";
import { TestBroker, TestPki } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const SITE = "hn-cert-01";

/** A box as `cert keygen` and `cert csr` leave it, and a center CA that signs with openssl. */
async function box(t: TestContext) {
  const dir = await tempDir(t);
  const config = join(dir, "camgate.yaml");
  const paths = {
    key: join(dir, "keys", "box.key"),
    cert: join(dir, "box.pem"),
    ca: join(dir, "ca.pem"),
  };
  await writeFile(
    config,
    `site: {id: ${SITE}}\nstore: {path: ${join(dir, "db")}}\nuplink:\n  brokers: [mqtts://localhost:8883]\n  ca: ${paths.ca}\n  cert: ${paths.cert}\n  key: ${paths.key}\n`,
  );
  const keygen = await runCamgate(["--config", config, "cert", "keygen", "--bits", "2048"]);
  assert.equal(keygen.code, 0, keygen.stderr);
  const csrFor = async (cn: string) => {
    const csr = await runCamgate(["--config", config, "cert", "csr", "--cn", cn]);
    assert.equal(csr.code, 0, csr.stderr);
    return csr.stdout;
  };
  const centerDir = join(dir, "center");
  await mkdir(centerDir);
  const pki = await TestPki.create(centerDir, "Commune center CA");
  const install = (cert: string) =>
    runCamgate(["--config", config, "cert", "install", cert, "--ca", pki.ca, "--json"]);
  return { dir, config, paths, pki, csr: await csrFor(SITE), csrFor, install };
}

describe("box certificates a center issues with openssl and CA products", () => {
  it("cert install takes openssl x509 -req, openssl ca and a step-ca style chain with a SAN URI", async (t) => {
    const { pki, csr, install, paths } = await box(t);
    const plain = await pki.sign(csr);
    const { stdout: text } = await run("openssl", ["x509", "-in", plain, "-noout", "-text"]);
    assert.match(text, /Version: 1 /, "the ordinary x509 -req certificate has no extensions");

    const stepCa = await pki.signStepCaStyle(csr, {
      subject: "/CN=box-0a1b2c3d",
      uri: `spiffe://center.example/camgate/${SITE}`,
    });
    const cases: [string, string, RegExp, string][] = [
      ["openssl x509 -req", plain, /^CN=hn-cert-01, serialNumber=.+, O=camgate$/, `CN=${SITE}`],
      [
        "openssl ca",
        await pki.signWithOpensslCa(csr),
        // The policy's order, not the CSR's: the CN is not first.
        /^O=camgate, CN=hn-cert-01, serialNumber=.+$/,
        `CN=${SITE}`,
      ],
      [
        "step-ca style",
        stepCa.cert,
        /^CN=box-0a1b2c3d$/,
        `URI:spiffe://center.example/camgate/${SITE}`,
      ],
    ];
    for (const [name, cert, subject, siteName] of cases) {
      await rm(paths.cert, { force: true });
      const result = await install(cert);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      const summary = JSON.parse(result.stdout) as {
        subject: string;
        siteName: string;
        clientAuth: boolean;
      };
      assert.match(summary.subject, subject, name);
      assert.equal(summary.siteName, siteName, name);
      assert.equal(summary.clientAuth, true, name);
      const { stdout } = await run("openssl", [
        ...["verify", "-purpose", "sslclient", "-CAfile", pki.ca],
        ...(name === "step-ca style" ? ["-untrusted", cert] : []),
        paths.cert,
      ]);
      assert.match(stdout, /OK/, `${name}: openssl agrees`);
    }
  });

  it("cert install refuses, with the reason, what openssl issued wrongly, and writes nothing", async (t) => {
    const { pki, csr, csrFor, install, paths } = await box(t);
    const cases: [string, string, RegExp][] = [
      [
        "another site's CN",
        await pki.sign(await csrFor("hn-other-02")),
        /the certificate is for CN=hn-other-02, serialNumber=.*, O=camgate; this box is site hn-cert-01: its CN, or a subjectAltName \(DNS, or URI ending in \/hn-cert-01 or :hn-cert-01\), must be the site id/,
      ],
      [
        "server only",
        await pki.sign(csr, "extendedKeyUsage = serverAuth\n"),
        /does not allow TLS client authentication \(its extendedKeyUsage lacks clientAuth, or its keyUsage lacks digitalSignature\)/,
      ],
      [
        "keyUsage without digitalSignature",
        await pki.sign(
          csr,
          "keyUsage = critical, keyEncipherment\nextendedKeyUsage = clientAuth\n",
        ),
        /does not allow TLS client authentication/,
      ],
      [
        "step-ca leaf without its intermediate",
        (
          await pki.signStepCaStyle(csr, {
            subject: "/CN=box",
            uri: `spiffe://center.example/camgate/${SITE}`,
          })
        ).leafOnly,
        /the certificate was not issued by the given CA \(CN=Commune center CA/,
      ],
      [
        "step-ca URI for another site",
        (
          await pki.signStepCaStyle(csr, {
            subject: "/CN=box",
            uri: "spiffe://center.example/camgate/hn-other-02",
          })
        ).cert,
        /subjectAltName URI:spiffe:\/\/center\.example\/camgate\/hn-other-02; this box is site hn-cert-01/,
      ],
    ];
    for (const [name, cert, message] of cases) {
      const result = await install(cert);
      assert.equal(result.code, 1, name);
      assert.match(result.stderr, message, name);
      await assert.rejects(run("test", ["-e", paths.cert]), `${name}: nothing installed`);
    }
  });

  it("mosquitto takes the openssl-signed certificate and a step-ca chain: the CN is the username, the site's root is writable, another's is not", async (t) => {
    const { dir, pki, csr, paths, install } = await box(t);
    assert.equal((await install(await pki.sign(csr))).code, 0);
    const brokerDir = join(dir, "broker");
    await mkdir(brokerDir);
    const broker = await TestBroker.start(t, {
      dir: brokerDir,
      ca: pki.ca,
      server: await pki.issue("broker", { usage: "server", altNames: ["127.0.0.1"] }),
    });
    const url = new URL(broker.url);
    const center = await pki.issue("center");
    const centerClient = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: "center-test",
      reconnectPeriod: 0,
      ...tlsOptions(url, await readTlsMaterial({ ca: pki.ca, ...center })),
    });
    defer(t, () => centerClient.endAsync());
    const received: string[] = [];
    centerClient.on("message", (topic) => received.push(topic));
    await centerClient.subscribeAsync("camgate/v1/#", { qos: 1 });

    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `camgate-${SITE}`,
      reconnectPeriod: 0,
      ...tlsOptions(url, await readTlsMaterial(paths)),
    });
    defer(t, () => client.endAsync());
    await client.publishAsync(`camgate/v1/${SITE}/events`, "{}", { qos: 1 });
    await assert.rejects(
      client.publishAsync("camgate/v1/hn-other-02/events", "{}", { qos: 1 }),
      (error: Error & { code?: number }) => error.code === 0x87,
    );
    await waitFor(
      "the site's message at the center",
      () => received.includes(`camgate/v1/${SITE}/events`),
      10_000,
    );
    assert.deepEqual(received, [`camgate/v1/${SITE}/events`]);
    // The certificate's CN is the username and, whatever the client asked, the client id.
    assert.match(await broker.log(), new RegExp(`as ${SITE} .*u'${SITE}'`));
    await client.endAsync();

    // A step-ca style chain (leaf + intermediate in the file) with the site as CN: the box
    // sends the intermediate, the broker trusts the root only, and the ACL is the same.
    const chain = await pki.signStepCaStyle(csr, {
      subject: `/CN=${SITE}`,
      uri: `spiffe://center.example/camgate/${SITE}`,
    });
    assert.equal((await install(chain.cert)).code, 0);
    const chained = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `camgate-${SITE}-chain`,
      reconnectPeriod: 0,
      ...tlsOptions(url, await readTlsMaterial(paths)),
    });
    defer(t, () => chained.endAsync());
    await chained.publishAsync(`camgate/v1/${SITE}/status`, "{}", { qos: 1 });
    await assert.rejects(
      chained.publishAsync("camgate/v1/hn-other-02/status", "{}", { qos: 1 }),
      (error: Error & { code?: number }) => error.code === 0x87,
    );
    await waitFor(
      "the chained box's message at the center",
      () => received.includes(`camgate/v1/${SITE}/status`),
      10_000,
    );
  });
});
