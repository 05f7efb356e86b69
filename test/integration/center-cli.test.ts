import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import mqtt from "mqtt";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { cleanEnv, collect, MAIN_JS, runCamgate } from "../helpers/cli.js";
import { waitFor } from "../helpers/recording.js";
import { tempDir, defer } from "../helpers/temp.js";
import { uplinkWorld } from "../helpers/uplink.js";

describe("camgate center", () => {
  it("refuses a bad configuration with every problem named", async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, "center.yaml");
    await writeFile(file, "brokers: [mqtt://center:1883]\ncert: c.pem\nkey: c.key\ngroup: 'a/b'\n");
    const result = await runCamgate(["center", "--config", file]);
    assert.equal(result.code, 78, result.stderr);
    for (const path of ["brokers.0", "ca", "dir", "group"]) {
      assert.match(result.stderr, new RegExp(`${path.replace(".", "\\.")}:`), path);
    }
  });

  it("receives a box's message, keeps it, and prints its summary when stopped", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const file = join(dir, "center.yaml");
    const received = join(dir, "received");
    await writeFile(
      file,
      [
        `brokers: ["${world.broker.url}"]`,
        `ca: ${world.pki.ca}`,
        `cert: ${world.centerIdentity.cert}`,
        `key: ${world.centerIdentity.key}`,
        `dir: ${received}`,
      ].join("\n"),
    );
    const child = spawn(process.execPath, [MAIN_JS, "center", "--config", file], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = collect(child);
    defer(t, () => child.kill("SIGKILL"));
    await waitFor(
      "the center subscribed",
      async () => {
        return (await world.broker.log()).includes(" center 1 camgate/v1/+/status");
      },
      30_000,
    );

    const box = await world.pki.issue("site-cli");
    const client = await mqtt.connectAsync(world.broker.url, {
      protocolVersion: 5,
      clientId: "camgate-site-cli",
      reconnectPeriod: 0,
      ...tlsOptions(new URL(world.broker.url), await readTlsMaterial({ ca: world.pki.ca, ...box })),
    });
    defer(t, () => client.endAsync());
    const status = { schema: "camgate.status/1", state: "online", siteId: "site-cli" };
    await client.publishAsync("camgate/v1/site-cli/status", JSON.stringify(status), {
      qos: 1,
      retain: true,
    });
    await client.publishAsync("camgate/v1/site-cli/events", "not json", { qos: 1 });
    // A resend after a lost PUBACK carries the same message id: kept once.
    const event = (id: number) =>
      JSON.stringify({ schema: "camgate.event/1", id, kind: "uplink_down", detail: {} });
    for (const [id, msgId] of [
      [1, "ab12-1"],
      [1, "ab12-1"],
      [2, "ab12-2"],
    ] as const) {
      await client.publishAsync("camgate/v1/site-cli/events", event(id), {
        qos: 1,
        properties: { userProperties: { "msg-id": msgId } },
      });
    }
    const eventsFile = join(received, "site-cli", "events.jsonl");
    await waitFor(
      "both events kept",
      async () => (await readFile(eventsFile, "utf8").catch(() => "")).includes('"id":2'),
      30_000,
    );
    const kept = (await readFile(eventsFile, "utf8")).trim().split("\n");
    assert.deepEqual(
      kept.map((line) => (JSON.parse(line) as { msgId: string }).msgId),
      ["ab12-1", "ab12-2"],
    );
    const statusFile = join(received, "site-cli", "status.json");
    await waitFor(
      "the status kept",
      () =>
        readFile(statusFile).then(
          () => true,
          () => false,
        ),
      30_000,
    );
    const keptStatus = JSON.parse(await readFile(statusFile, "utf8")) as { payload: unknown };
    assert.deepEqual(keptStatus.payload, status);

    child.kill("SIGTERM");
    const result = await output;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /site-cli\s+online\s+3\s+1/, result.stdout);
    assert.match(result.stdout, /refused: 1/);
  });
});
