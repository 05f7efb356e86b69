import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import { parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { Store } from "../../src/store/index.js";
import type { UplinkSession } from "../../src/uplink/index.js";
import { AsyncApiContract, payloadProblems, payloadValidators } from "../helpers/asyncapi.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { waitFor } from "../helpers/recording.js";
import {
  centerSeesSerial,
  commandKeys,
  issuingCenter,
  openssl,
  opensslSerial,
  pairMatches,
  renewalBox,
  renewalWorld,
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
