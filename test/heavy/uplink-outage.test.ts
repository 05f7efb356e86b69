import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Center, ReceivedSegment } from "../../src/center/index.js";
import { type Config, parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { Simulator } from "../../src/sim/index.js";
import { type SegmentRecord, STORED_STATES, Store } from "../../src/store/index.js";
import { outboxExactlyOnce, type Verdict } from "../../scripts/soak/invariants.js";
import { keptPayloads, payloadProblems, payloadValidators } from "../helpers/asyncapi.js";
import { cleanEnv, MAIN_JS } from "../helpers/cli.js";
import { CommandClient } from "../helpers/commands.js";
import { seedCameras, waitFor } from "../helpers/recording.js";
import { tempDir, defer } from "../helpers/temp.js";
import { startCenter, uplinkLines, uplinkWorld, type UplinkWorld } from "../helpers/uplink.js";

const OUTAGE_MS = 120_000;
/** Two cameras at about 200 kbit/s each: the cap is three times what a box records. */
const CAMERA_KBPS = 200;
const CAP_BITS_PER_SECOND = 3 * 2 * CAMERA_KBPS * 1000;

interface Box {
  siteId: string;
  config: Config;
  file: string;
  child?: ChildProcess;
  log: string;
}

async function prepareBox(
  world: UplinkWorld,
  dir: string,
  siteId: string,
  sim: Simulator,
  cameraIndexes: number[],
): Promise<Box> {
  const boxDir = join(dir, siteId);
  await mkdir(boxDir);
  const identity = await world.pki.issue(siteId);
  const text = [
    `site: {id: ${siteId}}`,
    `store: {path: ${join(boxDir, "camgate.db")}}`,
    `secrets: {keyFile: ${join(boxDir, "seal.key")}}`,
    `storage: {dir: ${join(boxDir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
    "discovery: {enabled: false}",
    "audit: {enabled: false}",
    uplinkLines(world, identity, `, chunkBytes: 32KiB, maxBitsPerSecond: ${CAP_BITS_PER_SECOND}`),
  ].join("\n");
  const file = join(boxDir, "camgate.yaml");
  await writeFile(file, text);
  const config = parseConfigText(text, file, {});
  const cameras = sim.describe();
  await seedCameras(
    config,
    cameraIndexes.map((index) => ({
      id: `${siteId}-cam-${index}`,
      ip: cameras[index]!.address,
      streamUri: cameras[index]!.streams[0]!,
      credentials: { username: cameras[index]!.username, password: cameras[index]!.password },
    })),
  );
  return { siteId, config, file, log: "" };
}

function startBox(box: Box): void {
  // Its own process group, so that a kill takes ffmpeg along, as systemd's cgroup kill does.
  const child = spawn(process.execPath, [MAIN_JS, "run", "--config", box.file], {
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8").on("data", (chunk: string) => {
      box.log = (box.log + chunk).slice(-20_000);
    });
  }
  box.child = child;
}

async function killBox(box: Box): Promise<void> {
  const child = box.child;
  if (!child || child.exitCode !== null) return;
  process.kill(-(child.pid ?? 0), "SIGKILL");
  await once(child, "exit");
}

async function stopBox(box: Box): Promise<void> {
  const child = box.child;
  if (!child || child.exitCode !== null) return;
  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0, `${box.siteId} stops cleanly:\n${box.log.slice(-3000)}`);
}

function readBox<T>(box: Box, read: (store: Store) => T): T {
  const store = new Store(box.config.store.path, silentLogger());
  try {
    store.open();
    return read(store);
  } finally {
    store.close();
  }
}

async function keptLines(file: string): Promise<{ msgId: string; payload: unknown }[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msgId: string; payload: unknown });
}

/** The box's segments still in its ring buffer. */
function stored(box: Box): SegmentRecord[] {
  return readBox(box, (store) =>
    store.repos.segments
      .after(0, 1_000_000)
      .filter((segment) => (STORED_STATES as readonly string[]).includes(segment.state)),
  );
}

/** Segments of a box the center received whole after `sinceMs`. */
function receivedSince(center: Center, box: Box, sinceMs: number): ReceivedSegment[] {
  return center
    .receivedSegments()
    .filter(
      (segment) =>
        segment.cameraId.startsWith(`${box.siteId}-`) && Date.parse(segment.receivedAt) > sinceMs,
    );
}

async function sha256File(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

/** Events and segment entries delivered exactly once, in order (the soak's own check). */
async function deliveryVerdict(box: Box, centerDir: string): Promise<Verdict> {
  const store = new Store(box.config.store.path, silentLogger());
  try {
    store.open();
    return await outboxExactlyOnce(store, box.siteId, centerDir);
  } finally {
    store.close();
  }
}

describe("uplink through a broker outage", () => {
  it("events, segment entries and video all arrive once across a 2-minute outage and two kill -9s, video under the cap", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const centerDir = join(dir, "center");
    // One worker, plain subscription: mosquitto 2.0 restores sessions from its persistence but
    // not their shared subscriptions, so messages a box sends before a shared-subscription
    // center has subscribed again would be acknowledged and dropped.
    const center = await startCenter(t, world, centerDir, { group: null });
    const sim = new Simulator({
      baseIp: "127.0.41.10",
      cameras: 4,
      profile: "hardened",
      ffmpeg: "ffmpeg",
      multicast: false,
      discoveryPort: 43741,
      video: { kbps: CAMERA_KBPS },
    });
    await sim.start();
    defer(t, () => sim.stop());
    const boxA = await prepareBox(world, dir, "site-a", sim, [0, 1]);
    const boxB = await prepareBox(world, dir, "site-b", sim, [2, 3]);
    const boxes = [boxA, boxB];
    defer(t, () => Promise.all(boxes.map(killBox)));
    boxes.forEach(startBox);
    const segmentsAtCenter = (box: Box, index: number) =>
      keptLines(
        join(centerDir, box.siteId, "cameras", `${box.siteId}-cam-${index}`, "segments.jsonl"),
      );
    await waitFor(
      "both boxes online and recording at the center",
      async () => {
        const counts = await Promise.all([
          segmentsAtCenter(boxA, 0),
          segmentsAtCenter(boxA, 1),
          segmentsAtCenter(boxB, 2),
          segmentsAtCenter(boxB, 3),
        ]);
        return counts.every((lines) => lines.length > 0);
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}\n${boxA.log.slice(-2000)}\n${boxB.log.slice(-2000)}`,
      );
    });

    // The outage: the boxes keep recording, a camera goes away and comes back (events), and
    // box B is killed and restarted half-way.
    await world.broker.stop();
    const outageStarted = Date.now();
    await sleep(5_000);
    const camera = sim.cameras[0]!;
    await camera.stop();
    await sleep(30_000);
    await camera.start();
    await sleep(25_000);
    await killBox(boxB);
    startBox(boxB);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const queuedDuringOutage = boxes.map((box) =>
      readBox(box, (s) => s.repos.outbox.stats().count),
    );
    await world.broker.resume();
    const resumedAt = Date.now();

    await waitFor(
      "both outboxes drained",
      () => boxes.every((box) => readBox(box, (s) => s.repos.outbox.stats().count) < 8),
      120_000,
    );
    // The video backlog drains under the cap while status requests are answered; box B is
    // killed again half-way through its backlog, in the middle of a transfer.
    const commands = await CommandClient.connect(t, world);
    const samples: { atMs: number; backlog: number }[] = [];
    let boxBKilled = false;
    for (;;) {
      const reply = await commands.send("site-a", "status.get", {});
      assert.equal(reply.ok, true, JSON.stringify(reply));
      const video = reply.result?.["video"] as { backlog: { segments: number } };
      samples.push({ atMs: Date.now(), backlog: video.backlog.segments });
      if (!boxBKilled && receivedSince(center, boxB, resumedAt).length >= 5) {
        await killBox(boxB);
        startBox(boxB);
        boxBKilled = true;
      }
      if (video.backlog.segments < 4 && boxBKilled) break;
      assert.ok(Date.now() - resumedAt < 600_000, `the backlog drains: ${JSON.stringify(samples)}`);
      await sleep(1_000);
    }
    const capped = samples.filter((sample) => sample.backlog >= 4);
    assert.ok(capped.length >= 2, `a backlog to drain: ${JSON.stringify(samples)}`);
    const [from, to] = [capped[0]!.atMs, capped.at(-1)!.atMs];
    assert.ok(to - from >= 20_000, `a backlog for 20 s at least: ${JSON.stringify(samples)}`);
    const drained = receivedSince(center, boxA, from).filter(
      (segment) => Date.parse(segment.receivedAt) <= to,
    );
    const rate = (drained.reduce((sum, segment) => sum + segment.bytes, 0) * 8_000) / (to - from);

    // Everything recorded until now reaches the center, then the boxes stop.
    const recordedUntilNow = boxes.map((box) => readBox(box, (s) => s.repos.segments.lastId()));
    await waitFor(
      "every segment recorded until now forwarded",
      () =>
        boxes.every((box, index) =>
          stored(box).every(
            (segment) => segment.id > recordedUntilNow[index]! || segment.state === "forwarded",
          ),
        ),
      120_000,
    );
    await Promise.all(boxes.map(stopBox));

    // The broker acknowledged what left the outboxes and the video; the center may still be
    // writing it down (the last segment's last chunk, marked forwarded at its PUBACK, included).
    const videoFile = (box: Box, row: SegmentRecord) =>
      join(centerDir, box.siteId, "cameras", row.cameraId, "video", `${row.id}.ts`);
    const allVideoFinished = () => {
      const finished = new Set(center.receivedSegments().map((segment) => segment.file));
      return boxes.every((box) =>
        readBox(box, (store) => store.repos.segments.after(0, 1_000_000))
          .filter((row) => row.state === "forwarded")
          .every((row) => finished.has(videoFile(box, row))),
      );
    };
    let delivery: Verdict[] = [];
    await waitFor(
      "the center has written down everything the broker acknowledged",
      async () => {
        delivery = await Promise.all(boxes.map((box) => deliveryVerdict(box, centerDir)));
        return delivery.every((verdict) => verdict.holds) && allVideoFinished();
      },
      60_000,
    ).catch(() => undefined); // the assertions below say what is missing
    for (const [index, verdict] of delivery.entries()) {
      const box = boxes[index]!;
      assert.ok(
        verdict.holds,
        `${box.siteId}: what arrived, then what is still queued, is exactly what was produced: ` +
          `${verdict.detail}\n${box.log
            .split("\n")
            .filter((line) => line.includes("uplink"))
            .join("\n")}`,
      );
    }
    const kinds = readBox(boxA, (store) => store.repos.events.after(0, 1000).map((e) => e.kind));
    assert.ok(kinds.includes("camera_offline"), "the camera outage produced events");
    assert.equal(
      kinds.filter((kind) => kind === "uplink_down").length,
      1,
      "the broker outage was recorded, and nothing else (a clean stop is not a link failure)",
    );
    assert.ok(
      queuedDuringOutage.every((count) => count > 20),
      `queued: ${queuedDuringOutage.join("/")}`,
    );
    assert.equal(center.summary().refused, 0);
    assert.ok(
      Math.abs(rate / CAP_BITS_PER_SECOND - 1) <= 0.1,
      `box A sent its backlog at ${Math.round(rate)} bit/s, capped at ${CAP_BITS_PER_SECOND}`,
    );
    // Every segment in the ring buffer is at the center, byte for byte, except what was
    // recorded since (still queued); nothing was lost, and the only chunks sent twice are the
    // one in flight when the broker went away (each box) and when box B was killed.
    const received = new Map(center.receivedSegments().map((segment) => [segment.file, segment]));
    for (const [index, box] of boxes.entries()) {
      const rows = readBox(box, (store) => store.repos.segments.after(0, 1_000_000));
      assert.deepEqual(
        rows.filter((row) => row.state === "lost" || row.state === "evicted").map((row) => row.id),
        [],
        `${box.siteId}: no segment lost`,
      );
      for (const row of rows) {
        if (row.state !== "forwarded") {
          assert.ok(row.id > recordedUntilNow[index]!, `${box.siteId}: segment ${row.id} sent`);
          continue;
        }
        const file = videoFile(box, row);
        const copy = received.get(file);
        assert.ok(copy, `${box.siteId}: segment ${row.id} at the center`);
        assert.deepEqual(
          { sha256: copy.sha256, verified: copy.verified, index: copy.index },
          { sha256: row.sha256, verified: true, index: "match" },
          `${box.siteId}: segment ${row.id} byte-identical`,
        );
        assert.equal(await sha256File(file), row.sha256);
      }
    }
    const video = center.summary().video;
    assert.equal(video.verified, video.segments, "no corrupt segment");
    assert.ok(video.duplicates <= 3, `chunks received twice: ${video.duplicates}`);
    // What two recording boxes published (health with recorder and storage figures included)
    // conforms to docs/asyncapi.yaml.
    const validators = await payloadValidators();
    const problems = (await keptPayloads(centerDir)).flatMap((payload) =>
      payloadProblems(validators, payload).map((p) => `${String(payload["schema"])}: ${p}`),
    );
    assert.deepEqual(problems, []);
    t.diagnostic(
      `delivered ${delivery.map((verdict) => verdict.detail).join(" / ")}, queued at the end of the outage ${queuedDuringOutage.join("/")}, ` +
        `resent and de-duplicated ${Object.values(center.summary().sites)
          .map((s) => s.duplicates)
          .join("/")}; video: ${video.segments} segments, ${video.duplicates} chunks twice, ` +
        `backlog sent at ${Math.round(rate)} bit/s over ${to - from} ms (cap ${CAP_BITS_PER_SECOND})`,
    );
  });
});
