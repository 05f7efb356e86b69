import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { Agent } from "../../src/agent.js";
import { parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import type { UplinkSession } from "../../src/uplink/index.js";
import { CommandClient } from "../helpers/commands.js";
import { waitFor } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";
import { uplinkLines, uplinkWorld } from "../helpers/uplink.js";

describe("the reference broker configuration ties a client id to its certificate", () => {
  it("a certificate for site-02 connecting as site-01's client id cannot knock site-01 off, and site-01 keeps getting its commands", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const identity = await world.pki.issue("site-01");
    const text = [
      "site: {id: site-01}",
      `store: {path: ${join(dir, "site-01.db")}}`,
      `secrets: {keyFile: ${join(dir, "seal.key")}}`,
      `storage: {dir: ${join(dir, "recordings")}}`,
      "discovery: {enabled: false}",
      "audit: {enabled: false}",
      "recorder: {enabled: false}",
      uplinkLines(world, identity),
    ].join("\n");
    await mkdir(join(dir, "recordings"));
    const agent = Agent.fromConfig(parseConfigText(text, "site-01.yaml", {}), silentLogger());
    const links: boolean[] = [];
    agent.bus.on("uplinkState", ({ connected }) => links.push(connected));
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const session = agent.components.find((c) => c.name === "uplink-session") as UplinkSession;
    await waitFor("site-01 connected", () => session.connected, 30_000);
    const commands = await CommandClient.connect(t, world);
    const asked = async () => (await commands.send("site-01", "status.get", {})).ok;
    assert.equal(await asked(), true);

    // site-02's certificate, asking for the box's client id of old and of now, three times each;
    // each connection stays open while the next one comes.
    const material = await readTlsMaterial({
      ca: world.pki.ca,
      ...(await world.pki.issue("site-02")),
    });
    const intruders: MqttClient[] = [];
    defer(t, () => Promise.all(intruders.map((client) => client.endAsync(true))));
    const stolen: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const clientId of ["camgate-site-01", "site-01"]) {
        const client = await mqtt.connectAsync(world.broker.url, {
          protocolVersion: 5,
          clientId,
          clean: false,
          properties: { sessionExpiryInterval: 3600 },
          reconnectPeriod: 0,
          ...tlsOptions(new URL(world.broker.url), material),
        });
        intruders.push(client);
        client.on("message", (topic) => stolen.push(topic));
        // mosquitto 2.0 grants it, and delivers nothing the ACL does not allow (checked below).
        await client.subscribeAsync("camgate/v1/site-01/cmd/+", { qos: 1 });
        await assert.rejects(
          client.publishAsync("camgate/v1/site-01/status", "{}", { qos: 1 }),
          (error: Error & { code?: number }) => error.code === 0x87,
        );
        // A command to site-01 while the intruder is connected: answered by site-01.
        assert.equal(await asked(), true, `round ${round}, as ${clientId}`);
      }
    }

    assert.deepEqual(links, [true], "site-01 was never disconnected");
    assert.equal(session.status().connects, 1);
    assert.deepEqual(stolen, [], "site-01's commands are not site-02's to read");
    // The broker knows every intruder connection by its certificate's CN, whatever it asked.
    const log = await world.broker.log();
    assert.equal(log.match(/ as site-02 \(p5, c0, k\d+, u'site-02'\)/g)?.length, 6, log);
    assert.doesNotMatch(log, /as (camgate-)?site-01 .*u'site-02'/);
  });
});
