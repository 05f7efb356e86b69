import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import { parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { Store } from "../../src/store/index.js";
import type { UplinkSession } from "../../src/uplink/index.js";
import { AsyncApiContract, payloadProblems, payloadValidators } from "../helpers/asyncapi.js";
import { runCamgate } from "../helpers/cli.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { TestPki } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/recording.js";
import {
  centerSeesSerial,
  commandKeys,
  DAY_MS,
  issuingCenter,
  openssl,
  opensslSerial,
  pairMatches,
  type RenewalBox,
  renewalBox,
  renewalWorld,
  runBoxProcess,
  storedEvents,
} from "../helpers/renewal.js";
import { defer, tempDir } from "../helpers/temp.js";
import { recordWire } from "../helpers/uplink.js";

type Json = Record<string, unknown>;

const same = (a: string | null | undefined, b: string | null | undefined) =>
  a?.replace(/^0+/, "").toUpperCase() === b?.replace(/^0+/, "").toUpperCase();

describe("certificate renewal over the uplink, with the reference center's CA and mosquitto", () => {
  it("a box whose certificate ends in 10 days renews by itself, reconnects with the new certificate and removes the old key; cert.renew must be signed and renews again", async (t) => {
    const dir = await tempDir(t);
    const world = await renewalWorld(t, dir);
    const keys = await commandKeys(dir);
    const centerDir = join(dir, "center");
    const center = await issuingCenter(t, world, centerDir);
    const wire = await recordWire(t, world);
    const box = await renewalBox(world, dir, "site-r1", {
      daysLeft: 10,
      extraUplink: `, commandSigningKey: ${keys.publicFile}`,
    });
    const oldKey = await readFile(box.identity.key, "utf8");
    const oldSerial = await opensslSerial(box.identity.cert);

    const text = await readFile(box.configFile, "utf8");
    const agent = Agent.fromConfig(parseConfigText(text, box.configFile, {}), silentLogger());
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const store = agent.components.find((c) => c.name === "store") as Store;
    const session = agent.components.find((c) => c.name === "uplink-session") as UplinkSession;
    const renewed = () => store.repos.events.list({ kind: "certificate_renewed" });
    await waitFor("the renewal to complete", () => renewed().length === 1, 60_000);

    // The center issued one certificate; the box holds it with a new key, and nothing else.
    const [issued] = center.issuedCertificates();
    const newSerial = await opensslSerial(box.identity.cert);
    assert.equal(center.issuedCertificates().length, 1);
    assert.ok(same(issued?.serialNumber, newSerial), `${issued?.serialNumber} vs ${newSerial}`);
    assert.ok(!same(newSerial, oldSerial));
    assert.notEqual(await readFile(box.identity.key, "utf8"), oldKey, "a new key");
    assert.equal((await stat(box.identity.key)).mode & 0o777, 0o600);
    assert.equal(await pairMatches(box.identity), true, "openssl: the key is the certificate's");
    for (const leftover of [".old", ".next"])
      for (const file of [box.identity.key, box.identity.cert])
        assert.equal(existsSync(file + leftover), false, `${file}${leftover} is gone`);

    // openssl, an outside peer: chains to the CA, names the site, allows clientAuth, 90 days.
    assert.match(
      await openssl([
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        world.pki.ca,
        box.identity.cert,
      ]),
      /: OK$/m,
    );
    const text509 = await openssl([
      "x509",
      "-noout",
      "-subject",
      "-enddate",
      "-in",
      box.identity.cert,
    ]);
    assert.match(text509, /subject=CN ?= ?site-r1$/m);
    const endMs = Date.parse(/notAfter=(.+)$/m.exec(text509)?.[1] ?? "");
    assert.ok(Math.abs(endMs - (Date.now() + 90 * 86_400_000)) < 3_600_000, text509);

    // The box connected again with it: its retained status (kept by the center) names the new
    // serial, and the broker saw two connections of site-r1.
    await waitFor(
      "the center to see the new certificate's serial",
      async () => same(await centerSeesSerial(centerDir, "site-r1"), newSerial),
      30_000,
    );
    assert.equal(session.status().connects, 2);
    assert.equal((await world.broker.log()).match(/ as site-r1 \(/g)?.length, 2);
    const [event] = renewed();
    assert.ok(same(event?.detail["serialNumber"] as string, newSerial));
    assert.ok(same(event?.detail["previousSerialNumber"] as string, oldSerial));
    assert.equal(event?.detail["reason"], "expiry");

    // cert.renew: refused unsigned; signed, it renews again (now 90 days left).
    const commands = await CommandClient.connect(t, world);
    const unsigned = await commands.send("site-r1", "cert.renew", authorization());
    assert.equal(unsigned.ok, false);
    assert.equal(unsigned.error?.code, "unsigned");
    const signed = await commands.send("site-r1", "cert.renew", authorization(), {
      signingKey: keys.privatePem,
    });
    assert.equal(signed.ok, true, JSON.stringify(signed));
    assert.equal(signed.result?.["state"], "requested");
    assert.equal(signed.result?.["reason"], "command");
    await waitFor("the second renewal", () => renewed().length === 2, 60_000);
    const third = await opensslSerial(box.identity.cert);
    assert.equal(center.issuedCertificates().length, 2);
    assert.ok(same(center.issuedCertificates()[1]?.serialNumber, third));
    assert.equal(await pairMatches(box.identity), true);
    await waitFor(
      "the center to see the third serial",
      async () => same(await centerSeesSerial(centerDir, "site-r1"), third),
      30_000,
    );

    // camgate cert renew, as a technician on the box would: the running agent renews once more.
    const cli = await runCamgate(["cert", "renew", "--config", box.configFile, "--wait", "2m"]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^certificate_renewed: .*"reason":"cli"/m);
    assert.equal(renewed().length, 3);
    assert.equal(center.issuedCertificates().length, 3);
    assert.equal(await pairMatches(box.identity), true);

    // Every message the box sent, and every answer, is what docs/asyncapi.yaml says.
    const contract = await AsyncApiContract.load();
    const validators = await payloadValidators();
    const requests = wire.filter((m) => m.topic === "camgate/v1/site-r1/cert/request");
    const answers = wire.filter((m) => m.topic === "camgate/v1/site-r1/cert/issued");
    assert.ok(requests.length >= 2 && answers.length >= 2);
    assert.deepEqual(
      wire
        .filter((m) => !m.topic.endsWith("/cert/issued") && !m.topic.includes("/cmd/"))
        .flatMap((m) => contract.problems(m)),
      [],
    );
    for (const answer of answers)
      assert.deepEqual(
        payloadProblems(validators, JSON.parse(answer.payload.toString("utf8")) as Json),
        [],
      );
  });
});

describe("certificate renewal survives kill -9 at each step", () => {
  it("killed after key generation, after the CSR went (by its own hook, and by a real kill once the CSR is on the wire), after the certificate came and between the two renames, a box restarts with a working identity and completes the renewal", async (t) => {
    const dir = await tempDir(t);
    const world = await renewalWorld(t, dir);
    const wire = await recordWire(t, world, "camgate/v1/+/cert/request");
    const centerDir = join(dir, "center");
    const boxes = new Map<string, RenewalBox>();
    const original = new Map<string, { key: string; cert: string }>();
    for (const site of ["k-keygen", "k-csr", "k-real", "k-cert", "k-swap"]) {
      const box = await renewalBox(world, dir, site, { daysLeft: 10 });
      boxes.set(site, box);
      original.set(site, {
        key: await readFile(box.identity.key, "utf8"),
        cert: await readFile(box.identity.cert, "utf8"),
      });
    }
    const box = (site: string) => boxes.get(site)!;
    const crashed = async (site: string, point: string) => {
      const { result } = runBoxProcess(box(site), point);
      const outcome = await result;
      assert.equal(outcome.signal, "SIGKILL", `${site}: ${outcome.stdout}${outcome.stderr}`);
    };

    // No center answers yet: the boxes die before a certificate could come.
    const real = runBoxProcess(box("k-real"));
    defer(t, real.kill);
    await Promise.all([
      crashed("k-keygen", "key-generated"),
      crashed("k-csr", "csr-sent"),
      waitFor(
        "k-real's CSR on the wire",
        () => wire.some((m) => m.topic === "camgate/v1/k-real/cert/request"),
        60_000,
      ),
    ]);
    real.kill();
    assert.equal((await real.result).signal, "SIGKILL");
    for (const site of ["k-keygen", "k-csr", "k-real"]) {
      const { identity } = box(site);
      assert.equal(existsSync(`${identity.key}.next`), true, `${site}: the next key was kept`);
      assert.equal(await readFile(identity.key, "utf8"), original.get(site)?.key);
    }
    assert.ok(wire.some((m) => m.topic === "camgate/v1/k-csr/cert/request"));

    // With the issuing center: those three restart (below), and two more are killed once the
    // certificate is on disk, and between the renames.
    await issuingCenter(t, world, centerDir);
    const restart = (site: string) => {
      const running = runBoxProcess(box(site));
      defer(t, running.kill);
      return running;
    };
    const runs = ["k-keygen", "k-csr", "k-real"].map(restart);
    await Promise.all([crashed("k-cert", "cert-received"), crashed("k-swap", "mid-swap")]);
    const cut = box("k-swap").identity;
    assert.equal(existsSync(`${box("k-cert").identity.cert}.next`), true);
    assert.notEqual(await readFile(cut.cert, "utf8"), original.get("k-swap")?.cert);
    assert.equal(await readFile(cut.key, "utf8"), original.get("k-swap")?.key);
    assert.equal(await pairMatches(cut), false, "k-swap was cut between its renames");

    // Restarted without a crash: each connects and finishes its renewal with the new pair.
    runs.push(restart("k-cert"), restart("k-swap"));
    await Promise.all(
      [...boxes.values()].map(async (one) => {
        await waitFor(
          `${one.site} renewed`,
          () => storedEvents(one, "certificate_renewed").length === 1,
          60_000,
        );
        const serial = await opensslSerial(one.identity.cert);
        await waitFor(
          `the center to see ${one.site}'s new serial`,
          async () => same(await centerSeesSerial(centerDir, one.site), serial),
          30_000,
        );
        assert.equal(await pairMatches(one.identity), true, one.site);
        assert.notEqual(await readFile(one.identity.key, "utf8"), original.get(one.site)?.key);
        for (const leftover of [".old", ".next"])
          for (const file of [one.identity.key, one.identity.cert])
            assert.equal(existsSync(file + leftover), false, `${file}${leftover}`);
      }),
    );
    for (const running of runs) running.kill();
  });
});

describe("an expired certificate is recovered on site", () => {
  it("with the CLI alone, no broker: cert show says it expired, cert csr from the box's key, the CA's openssl signs, cert install checks and installs", async (t) => {
    const dir = await tempDir(t);
    const pki = await TestPki.create(dir);
    const expired = await pki.issue("site-x", {
      notBefore: new Date(Date.now() - 60 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    const config = join(dir, "box.yaml");
    await writeFile(
      config,
      [
        "site: {id: site-x}",
        `store: {path: ${join(dir, "box.db")}}`,
        // Nobody listens there: everything below works offline.
        `uplink: {brokers: ["mqtts://127.0.150.9:8883"], ca: ${pki.ca}, cert: ${expired.cert}, key: ${expired.key}}`,
      ].join("\n"),
    );
    const shown = await runCamgate(["cert", "show", "--config", config]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /\(-\d+ days left\)/);
    const csrFile = join(dir, "box.csr");
    const csr = await runCamgate([
      "cert",
      "csr",
      "--cn",
      "site-x",
      "--config",
      config,
      "-o",
      csrFile,
    ]);
    assert.equal(csr.code, 0, csr.stderr);
    const signed = await pki.sign(await readFile(csrFile, "utf8"));
    const installed = await runCamgate([
      "cert",
      "install",
      signed,
      "--ca",
      pki.ca,
      "--config",
      config,
    ]);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /installed .* days left/);
    assert.match(await openssl(["verify", "-CAfile", pki.ca, expired.cert]), /: OK$/m);
    assert.equal(await pairMatches(expired), true);
  });
});
