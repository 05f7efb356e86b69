import { mkdir, rmdir, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { AgentEvents } from "../agent-events.js";
import type { StorageConfig } from "../config/index.js";
import type { EventLog } from "../events/index.js";
import { type Component, eachLimited, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { type SegmentRecord, STORED_STATES, type Store } from "../store/index.js";
import { bytesToFree, type DiskReader, quotaBytes, readDisk } from "./quota.js";

const BATCH = 1024;
/** Unlinks the ring buffer keeps in flight (scripts/bench/index times the same without it). */
export const UNLINKS_IN_FLIGHT = 8;
const MIN_HEADROOM = 1024 * 1024;
/** Evicted and lost rows are kept this long, for `recordings list` and stats, then forgotten. */
const HISTORY_MS = 30 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

export interface RingBufferDeps {
  config: StorageConfig;
  store: Pick<Store, "repos" | "db">;
  events: EventLog;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  now?: () => number;
  disk?: DiskReader;
  /**
   * Whether the center expects this segment (`forward: events` sends only the video around
   * events): evicting an unforwarded one it does not expect is no loss to report.
   */
  expected?: (segment: SegmentRecord) => boolean;
}

export interface RingBufferStatus {
  quotaBytes: number;
  storedBytes: number;
  lockedBytes: number;
  freeBytes: number;
  totalBytes: number;
  overQuota: boolean;
  evictedSinceStart: number;
  lostUnforwardedSinceStart: number;
}

/**
 * Deletes the files, returning those gone (already missing counts as gone) in their order, and
 * the first failure. A file on disk takes the kernel a fraction of a millisecond (more on an SD
 * card), so the unlinks run on the thread pool, a few at a time: the event loop stays free and
 * a recorder's own file operations never queue behind a thousand unlinks.
 */
async function removeFiles<T extends { path: string }>(
  files: readonly T[],
): Promise<{ gone: T[]; failure?: NodeJS.ErrnoException }> {
  const removed: boolean[] = [];
  let failure: NodeJS.ErrnoException | undefined;
  await eachLimited(files, UNLINKS_IN_FLIGHT, async (file, index) => {
    removed[index] = await unlink(file.path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return true;
        failure ??= error;
        return false;
      },
    );
  });
  const gone = files.filter((_, index) => removed[index]);
  return failure ? { gone, failure } : { gone };
}

/** Hour and day folders go once empty; a non-empty one refuses, which is the common case. */
async function removeEmptyFolders(paths: readonly string[]): Promise<void> {
  for (const hour of new Set(paths.map((path) => dirname(path)))) {
    await rmdir(hour)
      .then(() => rmdir(dirname(hour)))
      .catch(() => undefined);
  }
}

/**
 * Keeps recorded video within its quota. Each closed segment triggers a pass that removes the
 * oldest unlocked segments, forwarded ones before unforwarded ones, straight from the index:
 * the cost depends on what is evicted, never on how much is stored.
 */
export class RingBuffer implements Component {
  readonly name = "retention";
  #unsubscribe: (() => void)[] = [];
  #pass: Promise<void> | undefined;
  #again = 0;
  #alarm = false;
  #evicted = 0;
  #lost = 0;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: RingBufferDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await mkdir(this.deps.config.dir, { recursive: true, mode: 0o750 });
    // A reload may have lowered the quota: enforced at once, not at the next segment.
    this.#unsubscribe = [
      this.deps.bus.on("segmentClosed", () => void this.enforce()),
      this.deps.bus.on("configReloaded", () => void this.enforce()),
    ];
    await this.enforce();
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await this.#pass;
  }

  status(): RingBufferStatus {
    const disk = this.#disk();
    const quota = quotaBytes(this.deps.config, disk);
    const stored = this.#segments.storedBytes();
    return {
      quotaBytes: quota,
      storedBytes: stored,
      lockedBytes: this.#segments.lockedBytes(this.#now()),
      freeBytes: disk.freeBytes,
      totalBytes: disk.totalBytes,
      overQuota: this.#alarm,
      evictedSinceStart: this.#evicted,
      lostUnforwardedSinceStart: this.#lost,
    };
  }

  /** One eviction pass; passes never overlap, and a request during one runs right after it. */
  enforce(headroomBytes = 0): Promise<void> {
    this.#again = Math.max(this.#again, headroomBytes + 1);
    if (!this.#pass) {
      this.#pass = (async () => {
        while (this.#again > 0) {
          const headroom = this.#again - 1;
          this.#again = 0;
          await this.#evict(headroom).catch((error: unknown) =>
            this.deps.logger.error({ err: error }, "eviction pass failed"),
          );
        }
      })().finally(() => {
        this.#pass = undefined;
      });
    }
    return this.#pass;
  }

  /** The disk filled although the quota held: free a margin of a couple of segments per camera. */
  async makeRoom(reason: string): Promise<void> {
    const usage = this.#segments
      .usage()
      .filter((row) => (STORED_STATES as readonly string[]).includes(row.state));
    const segments = usage.reduce((sum, row) => sum + row.segments, 0);
    const bytes = usage.reduce((sum, row) => sum + row.bytes, 0);
    const cameras = new Set(usage.map((row) => row.cameraId)).size;
    const headroom = Math.max(MIN_HEADROOM, segments > 0 ? 2 * cameras * (bytes / segments) : 0);
    this.deps.logger.warn({ reason, headroomBytes: Math.round(headroom) }, "disk full: evicting");
    await this.enforce(Math.round(headroom));
  }

  get #segments() {
    return this.deps.store.repos.segments;
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  #disk() {
    return (this.deps.disk ?? readDisk)(this.deps.config.dir);
  }

  async #evict(headroomBytes: number): Promise<void> {
    const { config, logger } = this.deps;
    const segments = this.#segments;
    const now = this.#now();
    const disk = this.#disk();
    let need = bytesToFree({
      storedBytes: segments.storedBytes(),
      quotaBytes: quotaBytes(config, disk),
      freeBytes: disk.freeBytes,
      minFreeBytes: config.minFreeBytes,
      headroomBytes,
    });
    while (need > 0) {
      let batch = segments.evictable("forwarded", now, BATCH);
      if (batch.length === 0) batch = segments.evictable("closed", now, BATCH);
      if (batch.length === 0) break;
      const chosen: SegmentRecord[] = [];
      for (const segment of batch) {
        if (need <= 0) break;
        chosen.push(segment);
        need -= segment.bytes;
      }
      const { gone, failure } = await removeFiles(chosen);
      // One commit (one fsync) per batch for the rows and their events, not one per event.
      this.deps.store.db.transaction(() => this.#recordEvictions(gone))();
      if (failure) throw failure;
      await removeEmptyFolders(gone.map((segment) => segment.path));
      logger.debug({ evicted: gone.length }, "evicted segments");
    }
    this.#raiseOrClearAlarm(need, now);
    if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      while (segments.pruneHistory(now - HISTORY_MS, 500) === 500);
    }
  }

  #recordEvictions(gone: readonly SegmentRecord[]): void {
    this.#segments.markGone(
      gone.map((segment) => segment.id),
      "evicted",
    );
    for (const segment of gone) {
      this.#evicted++;
      if (segment.state !== "closed" || this.deps.expected?.(segment) === false) continue;
      this.#lost++;
      this.deps.events.record("segment_lost_unforwarded", segment.cameraId, {
        segmentId: segment.id,
        startMs: segment.startMs,
        endMs: segment.endMs,
        bytes: segment.bytes,
      });
    }
  }

  #raiseOrClearAlarm(needBytes: number, now: number): void {
    if (needBytes > 0 && !this.#alarm) {
      this.#alarm = true;
      const lockedBytes = this.#segments.lockedBytes(now);
      this.deps.events.record("storage_over_quota", null, { needBytes, lockedBytes });
      this.deps.logger.error(
        { needBytes, lockedBytes },
        "only locked video is left to evict: recording continues into the reserve",
      );
    } else if (needBytes <= 0 && this.#alarm) {
      this.#alarm = false;
      this.deps.events.record("storage_quota_restored", null, {});
      this.deps.logger.info("storage back within quota");
    }
  }
}
