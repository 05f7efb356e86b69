import assert from "node:assert/strict";
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { EventHolds, lockRecordings, RingBuffer } from "../../src/retention/index.js";
import { type SegmentRecord, Store } from "../../src/store/index.js";
import { defer, tempDir } from "../helpers/temp.js";

const SEGMENT_BYTES = 1000;
const SEGMENT_MS = 2000;
const SEGMENTS = 300;
/** 40 segments of quota; 25 % of it, 10 segments, may be held. */
const QUOTA = 40 * SEGMENT_BYTES;
const CAP = 10 * SEGMENT_BYTES;
const CAMERA = "cam-a";

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("event retention with a tiny quota", () => {
  it("the segments around held events survive while the rest turns over; evidence locks and event holds never exceed maxLockedPercent, the oldest event giving way", async (t) => {
    const dir = await tempDir(t);
    const recordings = join(dir, "recordings");
    const config = parseConfigText(
      [
        "site: {id: s}",
        `store: {path: ${join(dir, "camgate.db")}}`,
        `storage: {dir: ${recordings}, maxBytes: ${QUOTA}, minFreeBytes: 0, maxLockedPercent: 25}`,
        "events: {retain: {intrusion: {preSeconds: 2, postSeconds: 2, days: 1}}}",
      ].join("\n"),
      "test.yaml",
      {},
    );
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    let now = 0;
    const clock = () => now;
    const disk = () => ({ totalBytes: 1e12, freeBytes: 1e12 });
    const bus = new EventBus<AgentEvents>((_, error) => {
      throw error;
    });
    const log = new EventLog(store, bus, silentLogger(), clock);
    const ringBuffer = new RingBuffer({
      config: config.storage,
      store,
      events: log,
      bus,
      logger: silentLogger(),
      now: clock,
      disk,
    });
    const holds = new EventHolds({
      events: config.events,
      storage: config.storage,
      store,
      log,
      bus,
      logger: silentLogger(),
      now: clock,
      disk,
    });
    await ringBuffer.start(new AbortController().signal);
    await holds.start(new AbortController().signal);
    defer(t, () => ringBuffer.stop());
    defer(t, () => holds.stop());

    // Intrusions (held a day) at 101 s, 301 s and 451 s; a motion (not held) at 201 s.
    const planned = [
      { atMs: 101_000, kind: "intrusion" },
      { atMs: 201_000, kind: "motion" },
      { atMs: 301_000, kind: "intrusion" },
      { atMs: 451_000, kind: "intrusion" },
    ];
    const fired: { id: number; atMs: number; kind: string }[] = [];
    const segments: SegmentRecord[] = [];
    const held = () => repos.eventWindows.heldBytes(now);
    let mostHeld = 0;
    for (let index = 0; index < SEGMENTS; index++) {
      const startMs = index * SEGMENT_MS;
      // What the camera saw while this segment was being recorded.
      for (const event of planned.filter(
        (e) => e.atMs >= startMs && e.atMs < startMs + SEGMENT_MS,
      )) {
        now = event.atMs + 300;
        log.recordCameraEvent(CAMERA, event.atMs, event.kind, { phase: "pulse" });
        const [stored] = repos.events.list({
          kind: event.kind,
          sinceMs: event.atMs,
          untilMs: event.atMs,
        });
        fired.push({ id: stored!.id, ...event });
      }
      now = startMs + SEGMENT_MS;
      const folder = join(recordings, CAMERA, "h");
      await mkdir(folder, { recursive: true });
      const path = join(folder, `${index}.ts`);
      await writeFile(path, Buffer.alloc(SEGMENT_BYTES, index));
      const segment = repos.segments.insert({
        cameraId: CAMERA,
        path,
        startMs,
        endMs: startMs + SEGMENT_MS,
        bytes: SEGMENT_BYTES,
        sha256: "00".repeat(32),
        state: "closed",
      });
      segments.push(segment);
      bus.emit("segmentClosed", { segment });
      await ringBuffer.enforce();
      if (index === 10) {
        // Evidence held by a technician: 2 segments of the cap, not an event's to take.
        lockRecordings(
          repos.segments,
          { ...config.storage },
          {
            cameraId: CAMERA,
            fromMs: 10_000,
            toMs: 14_000,
            untilMs: 30 * 86_400_000,
          },
          { now, disk },
        );
        holds.enforce();
      }
      mostHeld = Math.max(mostHeld, held());
      assert.ok(held() <= CAP, `at ${index}: ${held()} bytes held, more than ${CAP}`);
      assert.ok(repos.segments.storedBytes() <= QUOTA, `at ${index}: over the quota`);
    }

    const stateAt = (second: number) =>
      repos.segments.get(segments[Math.floor((second * 1000) / SEGMENT_MS)]!.id)!;
    const around = (atMs: number) =>
      segments.filter((s) => s.startMs < atMs + 2000 && s.endMs > atMs - 2000);
    const [first, motion, second, third] = fired as [
      (typeof fired)[0],
      (typeof fired)[0],
      (typeof fired)[0],
      (typeof fired)[0],
    ];
    // The ring turned over many times: what is left of the continuous video is the last 80 s.
    assert.ok(repos.segments.usage().find((u) => u.state === "evicted")!.segments >= SEGMENTS - 60);
    assert.equal(stateAt(200).state, "evicted", "continuous video around 200 s turned over");
    for (const event of [second, third]) {
      for (const segment of around(event.atMs)) {
        assert.equal(repos.segments.get(segment.id)!.state, "closed", `${event.atMs}: kept`);
        assert.ok(await exists(segment.path));
      }
    }
    for (const segment of around(motion.atMs))
      assert.equal(repos.segments.get(segment.id)!.state, "evicted", "motion is not held");
    for (const segment of around(first.atMs))
      assert.equal(repos.segments.get(segment.id)!.state, "evicted", "the oldest hold gave way");
    for (const at of [10, 12]) assert.equal(stateAt(at).state, "closed", "evidence");

    // 2 evidence + 3 segments for each of the three intrusions is 11 > 10: the oldest went.
    const released = repos.events.list({ kind: "event_holds_released" });
    assert.equal(released.length, 1);
    assert.deepEqual(released[0]!.detail["eventIds"], [first.id]);
    assert.equal(held(), 8 * SEGMENT_BYTES);
    assert.equal(mostHeld, CAP);
    assert.deepEqual(holds.status(), { heldBytes: 6 * SEGMENT_BYTES, releasedSinceStart: 1 });
    // Each event names the segment it happened in.
    for (const event of fired) {
      const containing = segments.find((s) => s.startMs <= event.atMs && s.endMs > event.atMs)!;
      assert.deepEqual(repos.eventWindows.segmentsOf(event.id), [containing.id]);
    }
  });
});
