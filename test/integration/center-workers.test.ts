import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import mqtt from "mqtt";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { centerFigures, delivered, receivedRecords } from "../../scripts/soak/center-figures.js";
import { CenterWorld } from "../../scripts/soak/center-world.js";
import { runCenterWorkers, SHARE_GROUP } from "../../scripts/soak/center-workers-run.js";
import { MAIN_JS } from "../helpers/cli.js";
import { waitFor } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";
import { startCenter, uplinkWorld } from "../helpers/uplink.js";

describe("the reference center loses nothing and keeps everything once", () => {
  it(
    "kill -9 of the center five times mid-transfer: every segment at the center once, verified",
    { timeout: 240_000 },
    async (t) => {
      const world = await CenterWorld.create({
        dir: await tempDir(t),
        mainJs: MAIN_JS,
        cameras: 2,
        chunkBytes: "32KiB",
      });
      defer(t, () => world.stop());
      const center = await world.startWorker({
        clientId: "center-1",
        identity: await world.identity("center"),
        group: SHARE_GROUP,
      });
      // Before each kill, a burst of 20 segments of 128-512 KB; the kill comes once two more are
      // on record, with the rest of the burst on its way (in the broker's queue for the center,
      // in its socket, or in its hands).
      const burst = async () => {
        for (let i = 0; i < 10; i++)
          for (const camera of world.cameraIds)
            await world.addSegment(camera, randomInt(128_000, 512_000));
      };
      const onRecord = async () => (await receivedRecords(world)).length;
      let killedMidTransfer = 0;
      for (let kill = 1; kill <= 5; kill++) {
        const before = await onRecord();
        await burst();
        await waitFor(
          `two more segments at the center before kill ${kill}`,
          async () => (await onRecord()) >= before + 2,
          120_000,
          10,
        );
        await center.kill();
        if ((await onRecord()) < world.boxSegments().length) killedMidTransfer++;
        await center.start();
      }
      await burst();
      await delivered(world, 180_000);
      assert.equal(await center.terminate(), 0, center.stderr);
      assert.ok(killedMidTransfer > 0, "the center was killed with segments on their way");
      const figures = await centerFigures(world);
      assert.deepEqual(
        { ...figures, leftovers: figures.leftovers.length },
        {
          segments: 120,
          sent: 120,
          received: 120,
          verified: 120,
          duplicates: 0,
          lost: 0,
          indexLost: 0,
          split: 0,
          leftovers: 0,
        },
        `leftovers: ${figures.leftovers.join(", ")}`,
      );
      assert.equal(center.starts, 6);
    },
  );

  it(
    "two center workers on one shared subscription: every segment exactly once",
    { timeout: 240_000 },
    async (t) => {
      const { figures, finishedBy, exitCodes } = await runCenterWorkers({
        dir: await tempDir(t),
        mainJs: MAIN_JS,
        seconds: 30,
        cameras: 4,
      });
      assert.deepEqual(exitCodes, [0, 0]);
      assert.equal(figures.segments, 120);
      assert.deepEqual(
        { ...figures, split: 0, leftovers: figures.leftovers.length },
        {
          segments: 120,
          sent: 120,
          received: 120,
          verified: 120,
          duplicates: 0,
          lost: 0,
          indexLost: 0,
          split: 0,
          leftovers: 0,
        },
        `leftovers: ${figures.leftovers.join(", ")}`,
      );
      // The broker did split the work, down to the chunks of one segment.
      assert.ok(figures.split > 0, "some segments had chunks written by both workers");
      assert.deepEqual(Object.keys(finishedBy).sort(), ["center-1", "center-2"]);
    },
  );

  it(
    "a center stopped while a box keeps sending stops cleanly; its next run keeps what came meanwhile, once",
    { timeout: 120_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const centerDir = join(dir, "center");
      const first = await startCenter(t, world, centerDir);
      const material = await readTlsMaterial({
        ca: world.pki.ca,
        ...(await world.pki.issue("site-s")),
      });
      const box = await mqtt.connectAsync(world.broker.url, {
        protocolVersion: 5,
        clientId: "site-s",
        reconnectPeriod: 0,
        ...tlsOptions(new URL(world.broker.url), material),
      });
      defer(t, () => box.endAsync(true));
      const event = (id: number) =>
        box.publishAsync(
          "camgate/v1/site-s/events",
          JSON.stringify({ schema: "camgate.event/1", id, kind: "uplink_down", detail: {} }),
          { qos: 1, properties: { userProperties: { "msg-id": `ab12-${id}` } } },
        );
      let sent = 0;
      const sending = (async () => {
        while (sent < 400) await event(++sent);
      })();
      await waitFor("the first events kept", async () => (await keptIds()).length >= 20, 30_000);
      await first.stop(); // resolves although events keep coming, unacknowledged
      await sending;
      const second = await startCenter(t, world, centerDir);
      await waitFor("every event kept", async () => (await keptIds()).length >= 400, 60_000);
      await second.stop();
      const ids = await keptIds();
      assert.equal(ids.length, 400);
      assert.equal(new Set(ids).size, 400, "each once");

      async function keptIds(): Promise<string[]> {
        const text = await readFile(join(centerDir, "site-s", "events.jsonl"), "utf8").catch(
          () => "",
        );
        return text
          .split("\n")
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { msgId: string }).msgId);
      }
    },
  );
});
