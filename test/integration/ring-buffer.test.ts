import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import {
  type DiskFigures,
  LockRefusedError,
  lockRecordings,
  RingBuffer,
} from "../../src/retention/index.js";
import { type SegmentRecord, type SegmentState, Store } from "../../src/store/index.js";
import { segmentFiles } from "../helpers/recording.js";
import { tempDir, defer } from "../helpers/temp.js";

const SEGMENT = 1000;

async function setUp(t: TestContext, storage: string) {
  const dir = await tempDir(t);
  const recordings = join(dir, "recordings");
  const config = parseConfigText(
    `site: {id: s}\nstore: {path: ${join(dir, "db.sqlite")}}\nstorage: {dir: ${recordings}, ${storage}}`,
    "test.yaml",
    {},
  );
  const store = new Store(config.store.path, silentLogger());
  const repos = store.open();
  defer(t, () => store.close());
  const bus = new EventBus<AgentEvents>(() => undefined);
  const events: AgentEvents["boxEvent"][] = [];
  bus.on("boxEvent", (event) => events.push(event));
  const disk: DiskFigures = { totalBytes: 1e12, freeBytes: 1e12 };
  const ringBuffer = new RingBuffer({
    config: config.storage,
    store,
    events: new EventLog(store, bus, silentLogger()),
    bus,
    logger: silentLogger(),
    now: () => 1_000_000,
    disk: () => disk,
  });
  let next = 0;
  /** A segment file of SEGMENT bytes and its row; start times increase with each call. */
  const add = async (state: SegmentState, cameraId = "cam-a") => {
    const index = next++;
    const folder = join(recordings, cameraId, "2026-11-23", "02");
    await mkdir(folder, { recursive: true });
    const path = join(folder, `${String(index).padStart(4, "0")}.ts`);
    await writeFile(path, Buffer.alloc(SEGMENT, index));
    return repos.segments.insert({
      cameraId,
      path,
      startMs: index * 10_000,
      endMs: (index + 1) * 10_000,
      bytes: SEGMENT,
      sha256: "00".repeat(32),
      state,
    });
  };
  return { config, repos, bus, events, disk, ringBuffer, add, recordings };
}

describe("ring buffer", () => {
  it("evicts oldest first, forwarded before unforwarded, never locked, on each close", async (t) => {
    const { repos, bus, events, ringBuffer, add, recordings } = await setUp(
      t,
      "maxBytes: 5000, minFreeBytes: 0",
    );
    const segments: SegmentRecord[] = [];
    for (const state of ["closed", "closed", "forwarded", "closed", "closed", "forwarded"] as const)
      segments.push(await add(state));
    repos.segments.lock("cam-a", 0, 10_000, 2_000_000); // the oldest: evidence
    for (let i = 0; i < 4; i++) segments.push(await add("closed"));
    await ringBuffer.start(new AbortController().signal); // 10 stored, quota 5 => 5 go
    assert.deepEqual(repos.segments.usage().find((u) => u.state === "evicted")?.segments, 5);
    const evicted = segments.filter((s) => repos.segments.get(s.id)?.state === "evicted");
    assert.deepEqual(
      evicted.map((s) => s.startMs / 10_000),
      [1, 2, 3, 4, 5],
      "both forwarded, then the oldest unforwarded, skipping the locked one",
    );
    const lost = events.filter((e) => e.kind === "segment_lost_unforwarded");
    assert.deepEqual(
      lost.map((e) => e.detail.segmentId),
      [segments[1]?.id, segments[3]?.id, segments[4]?.id],
    );
    const files = (await segmentFiles(recordings)).map((f) => f.path).sort();
    assert.deepEqual(
      files,
      [0, 6, 7, 8, 9].map((i) => segments[i]?.path),
      "files and rows agree",
    );

    await add("closed"); // one more close, announced on the bus
    bus.emit("segmentClosed", { segment: repos.segments.get(segments[9]?.id ?? 0) as never });
    await ringBuffer.stop();
    assert.equal(repos.segments.get(segments[6]?.id ?? 0)?.state, "evicted");
    assert.equal(repos.segments.get(segments[0]?.id ?? 0)?.state, "closed", "locked survives");
    assert.equal(repos.segments.storedBytes(), 5 * SEGMENT);
  });

  it("keeps evicting past a file it cannot remove, whose row stays", async (t) => {
    const { repos, ringBuffer, add, recordings } = await setUp(
      t,
      "maxBytes: 3000, minFreeBytes: 0",
    );
    const segments: SegmentRecord[] = [];
    for (let i = 0; i < 6; i++) segments.push(await add("forwarded"));
    // A directory where the oldest file was: unlink fails with EISDIR, as on a damaged card.
    const stuck = segments[0]?.path ?? "";
    await rm(stuck);
    await mkdir(join(stuck, "x"), { recursive: true });
    await ringBuffer.enforce(); // logs the failure, records what did go
    assert.equal(repos.segments.get(segments[0]?.id ?? 0)?.state, "forwarded");
    assert.deepEqual(
      segments.slice(1).map((s) => repos.segments.get(s.id)?.state),
      ["evicted", "evicted", "forwarded", "forwarded", "forwarded"],
    );
    await add("forwarded");
    await ringBuffer.enforce(); // the next close: the stuck one is tried again, the others go
    assert.equal(repos.segments.get(segments[3]?.id ?? 0)?.state, "evicted");
    const files = (await segmentFiles(recordings)).map((f) => f.path).sort();
    assert.equal(files.length, 3, "files and rows agree apart from the stuck one");
  });

  it("raises an alarm when only locked video is left, and clears it", async (t) => {
    const { repos, events, ringBuffer, add } = await setUp(t, "maxBytes: 2000, minFreeBytes: 0");
    for (let i = 0; i < 4; i++) await add("closed");
    repos.segments.lock("cam-a", 0, 40_000, 2_000_000);
    await ringBuffer.enforce();
    await ringBuffer.enforce();
    assert.equal(events.filter((e) => e.kind === "storage_over_quota").length, 1, "raised once");
    assert.equal(ringBuffer.status().overQuota, true);
    assert.equal(repos.segments.storedBytes(), 4 * SEGMENT, "locked video is never evicted");
    repos.segments.unlock("cam-a", 0, 20_000);
    await ringBuffer.enforce();
    assert.equal(repos.segments.storedBytes(), 2 * SEGMENT);
    assert.equal(events.filter((e) => e.kind === "storage_quota_restored").length, 1);
  });

  it("keeps the filesystem's reserve free and makes extra room on a full disk", async (t) => {
    const { repos, disk, ringBuffer, add } = await setUp(t, "minFreeBytes: 3000");
    for (let i = 0; i < 10; i++) await add("closed");
    disk.freeBytes = 1000; // statfs: 2000 bytes short of the reserve
    await ringBuffer.enforce();
    assert.equal(repos.segments.storedBytes(), 8 * SEGMENT);
    disk.freeBytes = 1e12;
    await ringBuffer.enforce();
    assert.equal(repos.segments.storedBytes(), 8 * SEGMENT, "quota is the share of a large disk");
    disk.freeBytes = 3000;
    await ringBuffer.makeRoom("test"); // headroom: at least 1 MiB, more than all there is
    assert.equal(repos.segments.storedBytes(), 0);
  });

  it("refuses a lock that would take locked video over maxLockedPercent", async (t) => {
    const { config, repos, add } = await setUp(t, "maxBytes: 10000, maxLockedPercent: 30");
    for (let i = 0; i < 6; i++) await add("closed");
    const settings = { ...config.storage };
    const disk = () => ({ totalBytes: 1e12, freeBytes: 1e12 });
    const now = 1_000_000;
    const held = lockRecordings(
      repos.segments,
      settings,
      { cameraId: "cam-a", fromMs: 0, toMs: 20_000, untilMs: now + 1 },
      { now, disk },
    );
    assert.deepEqual(held, { segments: 2, newlyHeldBytes: 2000 });
    assert.throws(
      () =>
        lockRecordings(
          repos.segments,
          settings,
          { cameraId: "cam-a", fromMs: 20_000, toMs: 40_000, untilMs: now + 1 },
          { now, disk },
        ),
      (error: unknown) =>
        error instanceof LockRefusedError && /4000 bytes.*3000 bytes/.test(String(error)),
    );
    assert.throws(
      () =>
        lockRecordings(
          repos.segments,
          settings,
          { cameraId: "cam-a", fromMs: 0, toMs: 10_000, untilMs: now },
          { now, disk },
        ),
      /not in the future/,
    );
    assert.equal(repos.segments.lockedBytes(now), 2000);
  });
});
