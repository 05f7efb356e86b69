// The segment index at scale. Each figure is measured twice in the same run: with a small
// index (the baseline) and with a large one, so the ratio shows whether cost grows with the
// number of stored segments. Targets: range query < 5 ms, evicting 1000 segments < 100 ms,
// reconcile of 100,000 files < 30 s. Eviction is the median of several passes, each set beside
// 1000 unlinks of files like its own without any index: the filesystem's share of it.
// Usage: node dist/scripts/bench/index.js [--rows 1000000] [--files 100000]
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { eachLimited, EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { reconcileStorage, segmentPath } from "../../src/recorder/index.js";
import { RingBuffer, UNLINKS_IN_FLIGHT } from "../../src/retention/index.js";
import { Store } from "../../src/store/index.js";
import { median } from "./figures.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    files: { type: "string", default: "100000" },
  },
});
const CAMERAS = 8;
const SEGMENT_MS = 10_000;
const BYTES = 100;
/** Eviction is timed over several passes: one pass on a shared machine measures its neighbours. */
const EVICT_PASSES = 5;
const EPOCH_MS = Date.now() - 30 * 24 * 3600 * 1000 + 3600 * 1000;

interface Fixture {
  dir: string;
  store: Store;
  storageDir: string;
  /** Files of the same size outside the index, for timing the filesystem's unlinks alone. */
  bare: string[];
}

/**
 * An index of `rows` segments over 8 cameras, in 10 s steps; the first `files` have files, and
 * `bare` more files lie outside it.
 */
async function fixture(rows: number, files: number, bare = 0): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "camgate-bench-index-"));
  const storageDir = join(dir, "rec");
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  const repos = store.open();
  store.db.pragma("synchronous = OFF"); // filling only; the measured parts run as configured
  const insert = store.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cameraId = `cam-${i % CAMERAS}`;
      // Recent video, so the ring buffer's pruning of old history stays out of the figures.
      const startMs = EPOCH_MS + Math.floor(i / CAMERAS) * SEGMENT_MS;
      repos.segments.insert({
        cameraId,
        path: segmentPath(storageDir, cameraId, startMs, `r-${i}.ts`),
        startMs,
        endMs: startMs + SEGMENT_MS,
        bytes: BYTES,
        sha256: "00".repeat(32),
        state: i % 3 === 0 ? "forwarded" : "closed",
      });
    }
  });
  for (let from = 0; from < rows; from += 50_000) insert(from, Math.min(rows, from + 50_000));
  const folders = new Set<string>();
  for (const segment of store.db
    .prepare("SELECT path FROM segments ORDER BY id LIMIT ?")
    .all(files) as { path: string }[]) {
    const folder = join(segment.path, "..");
    if (!folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    await writeFile(segment.path, Buffer.alloc(BYTES));
  }
  const barePaths: string[] = [];
  for (let i = 0; i < bare; i++) {
    const folder = join(dir, "bare", String(Math.floor(i / 360)));
    if (i % 360 === 0) await mkdir(folder, { recursive: true });
    const path = join(folder, `${i}.ts`);
    await writeFile(path, Buffer.alloc(BYTES));
    barePaths.push(path);
  }
  store.db.pragma("synchronous = FULL");
  // The filling's write-ahead log and files go to disk now, not into the first timed commit
  // (on ext4 the first fsync would write out every file created since).
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  execFileSync("sync");
  return { dir, store, storageDir, bare: barePaths };
}

function time(work: () => void, repeat: number): number {
  const started = performance.now();
  for (let i = 0; i < repeat; i++) work();
  return (performance.now() - started) / repeat;
}

async function close(f: Fixture): Promise<void> {
  f.store.close();
  await rm(f.dir, { recursive: true, force: true });
}

/** The baseline of an eviction pass: as many files unlinked as it does, as many at a time. */
async function unlinkAlone(paths: readonly string[]): Promise<number> {
  const started = performance.now();
  await eachLimited(paths, UNLINKS_IN_FLIGHT, (path) => unlink(path));
  return performance.now() - started;
}

/** Range queries, then eviction passes of 1000 segments each, over an index of `rows`. */
async function queryAndEvict(rows: number) {
  // Forwarded segments go first, and every third row is one: these rows cover every pass.
  const f = await fixture(rows, 3 * EVICT_PASSES * 1000, EVICT_PASSES * 1000);
  const { segments } = f.store.repos;
  const spanMs = Math.floor(rows / CAMERAS) * SEGMENT_MS;
  let probe = 0;
  const rangeMs = time(() => {
    const fromMs = EPOCH_MS + Math.floor((((probe++ * 7919) % 1000) / 1000) * spanMs);
    segments.overlapping("cam-3", fromMs, fromMs + 3_600_000);
  }, 200);
  const bus = new EventBus<AgentEvents>(() => undefined);
  const evictMs: number[] = [];
  const unlinkMs: number[] = [];
  for (let pass = 1; pass <= EVICT_PASSES; pass++) {
    const config = parseConfigText(
      `site: {id: b}\nstorage: {dir: ${f.storageDir}, maxBytes: ${(rows - pass * 1000) * BYTES}, minFreeBytes: 0}`,
      "bench.yaml",
      {},
    );
    const ring = new RingBuffer({
      config: config.storage,
      store: f.store,
      events: new EventLog(f.store, bus, silentLogger()),
      bus,
      logger: silentLogger(),
      disk: () => ({ totalBytes: 1e15, freeBytes: 1e15 }),
    });
    const started = performance.now();
    await ring.enforce();
    evictMs.push(performance.now() - started);
    unlinkMs.push(await unlinkAlone(f.bare.slice((pass - 1) * 1000, pass * 1000)));
  }
  const evicted = segments
    .usage()
    .reduce((n, u) => n + (u.state === "evicted" ? u.segments : 0), 0);
  const remaining = (await readdir(f.storageDir, { recursive: true, withFileTypes: true })).filter(
    (entry) => entry.isFile(),
  ).length;
  await close(f);
  return {
    rangeMs,
    evictMs,
    unlinkMs,
    evicted,
    unlinked: 3 * EVICT_PASSES * 1000 - remaining,
  };
}

/** A start after a clean stop: `files` segment files, each with its row. */
async function reconcile(files: number) {
  const f = await fixture(files, files);
  const bus = new EventBus<AgentEvents>(() => undefined);
  const started = performance.now();
  const report = await reconcileStorage({
    storageDir: f.storageDir,
    segments: f.store.repos.segments,
    events: new EventLog(f.store, bus, silentLogger()),
    ffprobe: "ffprobe",
    logger: silentLogger(),
  });
  const ms = performance.now() - started;
  await close(f);
  return { ms, report };
}

const rows = Number(values.rows);
const files = Number(values.files);
const small = await queryAndEvict(10_000);
const large = await queryAndEvict(rows);
const smallReconcile = await reconcile(files / 10);
const largeReconcile = await reconcile(files);
const evictedAll = EVICT_PASSES * 1000;
if (
  large.evicted !== evictedAll ||
  large.unlinked !== evictedAll ||
  largeReconcile.report.files !== files
)
  throw new Error(
    `bench did not do what it measures: ${JSON.stringify({ large, largeReconcile })}`,
  );
const line = (name: string, base: number, big: number, target: string) =>
  console.log(
    `${name.padEnd(36)} ${base.toFixed(2).padStart(10)} ${big.toFixed(2).padStart(12)} ${(big / base).toFixed(2).padStart(7)}  ${target}`,
  );
console.log(
  `${"".padEnd(36)} ${"baseline".padStart(10)} ${"at scale".padStart(12)} ${"ratio".padStart(7)}  target`,
);
line(`range query, 1 h (ms; 10k/${rows} rows)`, small.rangeMs, large.rangeMs, "< 5 ms");
line(`evict 1000 (ms; 10k/${rows} rows)`, median(small.evictMs), median(large.evictMs), "< 100 ms");
line(
  "  the filesystem: 1000 unlinks alone",
  median(small.unlinkMs),
  median(large.unlinkMs),
  "(baseline, no index)",
);
const ownMs = (figures: { evictMs: number[]; unlinkMs: number[] }) =>
  median(figures.evictMs.map((ms, pass) => ms - (figures.unlinkMs[pass] ?? 0)));
line("  camgate's own part (evict - unlinks)", ownMs(small), ownMs(large), "");
console.log(
  `  each of ${EVICT_PASSES} passes at scale, evict / unlinks alone (ms): ` +
    large.evictMs
      .map((ms, pass) => `${ms.toFixed(1)} / ${(large.unlinkMs[pass] ?? 0).toFixed(1)}`)
      .join(", ") +
    `; ${BYTES}-byte files, synced before timing; lines above are medians`,
);
line(
  `reconcile (ms; ${files / 10}/${files} files)`,
  smallReconcile.ms,
  largeReconcile.ms,
  "< 30000 ms",
);
