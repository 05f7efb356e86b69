import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import type { AgentEvents } from "../../src/agent-events.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import {
  hashFile,
  hashScratch,
  incomingDir,
  reconcileStorage,
  segmentPath,
} from "../../src/recorder/index.js";
import { type SegmentRecord, type SegmentState, Store } from "../../src/store/index.js";
import { segmentFiles } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const T0 = Date.parse("2026-11-23T02:00:00Z");

it("reconcile makes index and disk agree, and reports every unforwarded loss", async (t) => {
  const dir = await tempDir(t);
  const storageDir = join(dir, "recordings");
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  const { segments } = store.open();
  defer(t, () => store.close());
  const bus = new EventBus<AgentEvents>(() => undefined);
  const events: AgentEvents["boxEvent"][] = [];
  bus.on("boxEvent", (event) => events.push(event));

  // One real 2 s MPEG-TS segment, copied wherever a playable file is needed.
  const sample = join(dir, "sample.ts");
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"],
    ...["-t", "2", "-c:v", "mpeg2video", "-f", "mpegts", sample],
  ]);
  const sampleBytes = (await stat(sample)).size;
  let next = 0;
  const place = async (content: "playable" | "garbage", path?: string) => {
    const index = next++;
    const target = path ?? segmentPath(storageDir, "cam-a", T0 + index * 10_000, `${index}.ts`);
    await mkdir(dirname(target), { recursive: true });
    if (content === "playable") await copyFile(sample, target);
    else await writeFile(target, Buffer.alloc(500, 0x47));
    return { target, startMs: T0 + index * 10_000 };
  };
  const indexed = async (state: SegmentState, file: "present" | "missing") => {
    const { target, startMs } = await place("playable");
    const row = segments.insert({
      cameraId: "cam-a",
      path: target,
      startMs,
      endMs: startMs + 2000,
      ...(await hashFile(target)),
      state,
    });
    if (file === "missing") await unlink(target);
    return row;
  };

  const forwardedMissing = await indexed("forwarded", "missing");
  const closedMissing = await indexed("closed", "missing");
  const healthy = await indexed("closed", "present");
  const closedDamaged = await indexed("closed", "present");
  await writeFile(closedDamaged.path, Buffer.alloc(700, 0x47));
  const forwardedDamaged = await indexed("forwarded", "present");
  await writeFile(forwardedDamaged.path, Buffer.alloc(700, 0x47));
  const shortened = await indexed("closed", "present");
  // Cut at a transport-packet boundary, as a write stopped by a power cut would leave it.
  await truncate(shortened.path, Math.floor(sampleBytes / 2 / 188) * 188);
  const unindexed = await place("playable");
  const unindexedGarbage = await place("garbage");
  const partial = await place("playable", join(incomingDir(storageDir, "cam-a"), "run-000001.ts"));
  const staleEvicted = await indexed("forwarded", "present");
  segments.markGone([staleEvicted.id], "evicted");

  const announced: SegmentRecord[] = [];
  const report = await reconcileStorage({
    storageDir,
    segments,
    events: new EventLog(store, bus, silentLogger()),
    ffprobe: "ffprobe",
    logger: silentLogger(),
    onIndexed: (segment) => announced.push(segment),
  });

  assert.deepEqual(report, {
    files: 8,
    indexed: 2,
    removed: 2,
    missing: 4,
    rechecked: 3,
    unchecked: 0,
  });
  const state = (id: number) => segments.get(id)?.state;
  assert.equal(state(forwardedMissing.id), "evicted");
  assert.equal(state(closedMissing.id), "lost");
  assert.equal(state(healthy.id), "closed");
  assert.equal(state(closedDamaged.id), "lost");
  assert.equal(state(forwardedDamaged.id), "lost");
  assert.equal(state(shortened.id), "closed");
  const recheckedFile = await hashFile(shortened.path);
  assert.equal(segments.get(shortened.id)?.sha256, recheckedFile.sha256);
  assert.equal(segments.get(shortened.id)?.bytes, recheckedFile.bytes);

  // The center hears of every unforwarded segment lost, and of no forwarded one.
  const losses = events
    .filter((event) => event.kind === "segment_lost_unforwarded")
    .map((event) => [event.detail["segmentId"], event.detail["reason"]]);
  assert.deepEqual(losses, [
    [closedMissing.id, "file missing at start"],
    [closedDamaged.id, "file damaged at start"],
  ]);

  // Disk and index agree: each file left has its row, with its size and hash.
  const files = (await segmentFiles(storageDir)).map((file) => file.path).sort();
  const rows = [...segments.stored()];
  assert.deepEqual(files, rows.map((row) => row.path).sort());
  assert.equal(rows.length, 4);
  for (const row of rows)
    assert.deepEqual(await hashFile(row.path), { sha256: row.sha256, bytes: row.bytes });
  assert.ok(segments.findByPath(unindexed.target), "a playable file without a row is indexed");
  const filed = rows.find((row) => row.path.endsWith("run-000001.ts"));
  assert.ok(filed && !filed.path.includes(".incoming"), "the partial segment is filed in place");
  assert.deepEqual(
    announced.map((segment) => segment.path).sort(),
    [segments.findByPath(unindexed.target)?.path, filed.path].sort(),
    "each segment it indexed is announced (its index entry must go upstream before its video)",
  );
  assert.deepEqual(await readFile(filed.path), await readFile(sample));
  for (const removed of [unindexedGarbage.target, partial.target, staleEvicted.path])
    await assert.rejects(stat(removed), { code: "ENOENT" });
});

it("hashFile: files hashed at once through one shared buffer each keep their own hash", async (t) => {
  const dir = await tempDir(t);
  const files = await Promise.all(
    [0, 1, 2, 3].map(async (index) => {
      const path = join(dir, `${index}.ts`);
      // Several slices each, not a whole number of them.
      await writeFile(path, randomBytes(3 * 1024 * 1024 + 1000 * index));
      return path;
    }),
  );
  const scratch = hashScratch();
  const hashed = await Promise.all(files.map((path) => hashFile(path, scratch)));
  for (const [index, path] of files.entries()) {
    const content = await readFile(path);
    assert.deepEqual(hashed[index], {
      sha256: createHash("sha256").update(content).digest("hex"),
      bytes: content.length,
    });
  }
});

it("reconcile keeps every file ffprobe could not check, and checks them at the next start", async (t) => {
  const dir = await tempDir(t);
  const storageDir = join(dir, "recordings");
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  const { segments } = store.open();
  defer(t, () => store.close());
  const bus = new EventBus<AgentEvents>(() => undefined);
  const losses: unknown[] = [];
  bus.on("boxEvent", (event) => losses.push(event));
  const events = new EventLog(store, bus, silentLogger());

  const sample = join(dir, "sample.ts");
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"],
    ...["-t", "2", "-c:v", "mpeg2video", "-f", "mpegts", sample],
  ]);
  const at = (index: number) =>
    segmentPath(storageDir, "cam-a", T0 + index * 10_000, `${index}.ts`);
  const put = async (path: string, content: Buffer) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    return path;
  };
  const playable = await readFile(sample);
  const garbage = Buffer.alloc(500, 0x47);
  const unindexed = await put(at(0), playable);
  const unindexedGarbage = await put(at(1), garbage);
  const partial = await put(join(incomingDir(storageDir, "cam-a"), "run-000001.ts"), playable);
  const damaged = await put(at(2), playable);
  const damagedRow = segments.insert({
    cameraId: "cam-a",
    path: damaged,
    startMs: T0 + 20_000,
    endMs: T0 + 22_000,
    ...(await hashFile(damaged)),
    state: "closed",
  });
  await writeFile(damaged, garbage);
  const before = async () =>
    Promise.all(
      [unindexed, unindexedGarbage, partial, damaged].map(async (path) => readFile(path)),
    );
  const contents = await before();

  // ffprobe stand-ins that never finish a probe: absent, hung, killed, flooding, out of memory.
  const script = async (name: string, body: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };
  const broken = [
    join(dir, "no-such-ffprobe"),
    await script("hangs", "exec sleep 600"),
    await script("killed", "kill -9 $$"),
    await script("floods", "head -c 1048576 /dev/zero"),
    await script("enomem", 'echo "$0: Cannot allocate memory" >&2; exit 1'),
  ];
  for (const ffprobe of broken) {
    const report = await reconcileStorage({
      storageDir,
      segments,
      events,
      ffprobe,
      logger: silentLogger(),
      probeTimeoutMs: 300,
    });
    assert.deepEqual(
      report,
      { files: 4, indexed: 0, removed: 0, missing: 0, rechecked: 0, unchecked: 4 },
      ffprobe,
    );
    assert.deepEqual(await before(), contents, `${ffprobe}: every file kept as it was`);
    assert.equal(segments.get(damagedRow.id)?.state, "closed", ffprobe);
    assert.equal([...segments.stored()].length, 1, ffprobe);
    assert.deepEqual(losses, [], `${ffprobe}: no loss reported`);
  }

  // The next start, with an ffprobe that works, gives the verdicts.
  const report = await reconcileStorage({
    storageDir,
    segments,
    events,
    ffprobe: "ffprobe",
    logger: silentLogger(),
  });
  assert.deepEqual(report, {
    files: 4,
    indexed: 2,
    removed: 1,
    missing: 1, // the damaged file's row, marked lost
    rechecked: 1,
    unchecked: 0,
  });
  assert.equal(segments.get(damagedRow.id)?.state, "lost");
  assert.ok(segments.findByPath(unindexed));
  await assert.rejects(stat(unindexedGarbage), { code: "ENOENT" });
  const filed = [...segments.stored()].find((row) => row.path.endsWith("run-000001.ts"));
  assert.equal(filed?.videoCodec, "mpeg2video", "what the file holds is indexed with it");
  assert.deepEqual([filed?.width, filed?.height], [160, 120]);
});
