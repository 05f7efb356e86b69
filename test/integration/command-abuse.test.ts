import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, stat } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { CommandClient as CenterCommandClient } from "../../src/center/index.js";
import { MAX_COMMAND_BYTES, REFUSALS_BURST } from "../../src/commands/index.js";
import { type Box, boxConnected, startBox } from "../helpers/box.js";
import { runCamgate } from "../helpers/cli.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { startHostileDevice } from "../helpers/hostile-device.js";
import { waitFor } from "../helpers/recording.js";
import { Cleanups, tempDir } from "../helpers/temp.js";
import { uplinkWorld } from "../helpers/uplink.js";

const SITE = "site-a";
const CAMERA = "cam-1";

/**
 * A center that misbehaves, on purpose or by a bug, against one real agent and mosquitto: what
 * it sends costs the box a bounded amount of work, memory and database. The tests run in order
 * (the last one stops the box).
 */
describe("abuse from the center side", () => {
  const cleanups = new Cleanups();
  let box: Box;
  let commands: CenterCommandClient;
  /** Messages the box's session handed to it, as the command service got them. */
  const arrived: { topic: string; bytes: number }[] = [];
  /** Correlation data (hex) of every reply the center received. */
  const replied: string[] = [];
  let answerOnvif: () => void = () => undefined;

  before(async () => {
    const dir = await tempDir(cleanups);
    const world = await uplinkWorld(cleanups, dir);
    // discovery.run lasts as long as this device takes to answer ONVIF: until a test says so.
    const answered = new Promise<void>((resolve) => (answerOnvif = resolve));
    cleanups.after(() => answerOnvif());
    await startHostileDevice(cleanups, {
      address: "127.0.82.1",
      urn: "urn:uuid:0d6f1c57-4d8e-4a8e-b6f4-7e2f0a5a8201",
      answerAfter: answered,
    });
    box = await startBox(
      cleanups,
      world,
      dir,
      SITE,
      [
        {
          id: CAMERA,
          ip: "127.0.82.20",
          streamUri: "rtsp://127.0.82.20/x",
          username: "u",
          password: "p",
        },
      ],
      {
        discovery:
          "{multicast: false, cidrs: [127.0.82.1/32], probeTimeout: 1s, callTimeout: 60s, intervalSeconds: 3600}",
        other: ["recorder: {enabled: false}"],
      },
    );
    await mkdir(box.config.storage.dir, { recursive: true });
    await boxConnected(box);
    box.session.subscribe(`camgate/v1/${SITE}/cmd/+`, (message) =>
      arrived.push({ topic: message.topic, bytes: message.payload.length }),
    );
    commands = await CommandClient.connect(cleanups, world);
    commands.client.on("message", (_topic, _payload, packet) =>
      replied.push(packet.properties?.correlationData?.toString("hex") ?? ""),
    );
  });
  after(() => cleanups.run());

  it("8 commands run at once, the 9th is refused as busy", { timeout: 60_000 }, async () => {
    const sent = Array.from({ length: 9 }, (_, index) =>
      commands.send(SITE, "discovery.run", {}, { timeoutMs: index < 8 ? 60_000 : 20_000 }),
    );
    try {
      const ninth = await sent[8]!;
      assert.equal(ninth.error?.code, "busy", JSON.stringify(ninth));
    } finally {
      answerOnvif();
      await Promise.allSettled(sent);
    }
    const first = await Promise.all(sent.slice(0, 8));
    assert.deepEqual(
      first.map((reply) => reply.ok),
      Array.from({ length: 8 }, () => true),
    );
  });

  it("a 1 MiB command is dropped by the broker: the box never reads it", async () => {
    const correlation = randomBytes(8);
    const before = arrived.length;
    await commands.client.publishAsync(
      `camgate/v1/${SITE}/cmd/status.get`,
      Buffer.alloc(1 << 20, 0x20),
      {
        qos: 1,
        properties: {
          responseTopic: `camgate/v1/${SITE}/reply/center`,
          correlationData: correlation,
        },
      },
    );
    // Same topic, same publisher: once this is answered, the large one had its turn.
    const after = await commands.send(SITE, "status.get", {});
    assert.equal(after.ok, true);
    assert.deepEqual(
      arrived.slice(before).map((message) => message.bytes),
      [2],
      "only the small command reached the box",
    );
    assert.ok(!replied.includes(correlation.toString("hex")), "no reply to the large one");
    assert.ok(
      box.store.repos.accessLog.list(50).every((entry) => entry.detail["code"] !== "too_large"),
    );
    assert.ok(arrived.every((message) => message.bytes <= MAX_COMMAND_BYTES));
  });

  it("recordings.lock holds at most storage.maxLockHold (30 days) ahead", async () => {
    const lock = (days: number) => {
      const now = Date.now();
      return {
        camera: CAMERA,
        from: new Date(now - 600_000).toISOString(),
        to: new Date(now).toISOString(),
        until: new Date(now + days * 86_400_000).toISOString(),
        reason: "evidence for case 17",
        ...authorization(),
      };
    };
    const far = await commands.send(SITE, "recordings.lock", lock(31));
    assert.equal(far.error?.code, "bad_request", JSON.stringify(far));
    assert.match(far.error?.message ?? "", /storage\.maxLockHold/);
    const near = await commands.send(SITE, "recordings.lock", lock(29));
    assert.equal(near.ok, true, JSON.stringify(near));
  });

  it("status.get reports the database against its budget", async () => {
    const reply = await commands.send(SITE, "status.get", {});
    const store = reply.result?.["store"] as Record<string, unknown>;
    assert.equal(store["maxBytes"], 1024 ** 3, "store.maxBytes, 1 GiB by default");
    assert.equal(store["overBudget"], false);
    assert.ok(typeof store["bytes"] === "number" && store["bytes"] > 0);
    assert.ok((store["fileBytes"] as number) >= store["bytes"]);
  });

  it(
    "2,500 junk commands grow the database by less than 200 KB; the access log counts them and verifies",
    { timeout: 120_000 },
    async (t) => {
      const file = box.config.store.path;
      box.store.db.pragma("wal_checkpoint(TRUNCATE)");
      const sizeBefore = (await stat(file)).size;
      const seqBefore = box.store.repos.accessLog.lastSeq();
      const arrivedBefore = arrived.length;
      const junk = Array.from({ length: 2500 }, (_, index) =>
        index % 2 === 0
          ? { name: "status.get", payload: Buffer.from(`{"not json ${index}`) }
          : { name: "camera.reboot", payload: Buffer.from("{}") },
      );
      // In batches the broker queues whole (mosquitto keeps at most 1,000 for a client and
      // drops the rest): all 2,500 reach the box. The box handles each as it arrives.
      for (let from = 0; from < junk.length; from += 250) {
        await Promise.all(
          junk.slice(from, from + 250).map(({ name, payload }) =>
            commands.client.publishAsync(`camgate/v1/${SITE}/cmd/${name}`, payload, {
              qos: 1,
              properties: {
                responseTopic: `camgate/v1/${SITE}/reply/center`,
                correlationData: randomBytes(8),
              },
            }),
          ),
        );
        const expected = Math.min(from + 250, junk.length);
        await waitFor(
          `${expected} junk commands at the box`,
          () => arrived.length - arrivedBefore === expected,
          30_000,
          20,
        );
      }
      await box.stop();
      const grown = (await stat(file)).size - sizeBefore;
      assert.ok(grown < 200 * 1024, `the database grew by ${grown} bytes`);

      const verified = await runCamgate(["access", "verify", "--config", box.file]);
      assert.equal(verified.code, 0, verified.stderr);
      const listed = await runCamgate([
        ...["access", "list", "--json", "--limit", "100000", "--config", box.file],
      ]);
      const entries = (
        JSON.parse(listed.stdout) as {
          seq: number;
          action: string;
          result: string;
          detail: Record<string, unknown>;
        }[]
      ).filter((entry) => entry.seq > seqBefore);
      const single = entries.filter(
        (entry) => entry.result === "refused" && entry.action !== "cmd/*",
      );
      const summaries = entries.filter((entry) => entry.action === "cmd/*");
      const counted = summaries.reduce((sum, entry) => sum + Number(entry.detail["total"]), 0);
      // The burst (less the busy refusal above) and what the bucket refilled meanwhile.
      assert.ok(single.length > 0 && single.length <= REFUSALS_BURST + 10, `${single.length}`);
      assert.equal(single.length + counted, 2500, "each junk command logged or counted");
      assert.ok(summaries.length >= 1);
      t.diagnostic(
        `database +${grown} bytes; ${single.length} refusals logged one by one, ${counted} counted in ${summaries.length} entries`,
      );
    },
  );
});
