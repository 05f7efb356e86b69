import { randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentEvents } from "../agent-events.js";
import type { EventLog } from "../events/index.js";
import { Backoff, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { RtspRelay } from "../rtsp-relay/index.js";
import type { SegmentRecord, SegmentRepository } from "../store/index.js";
import { recordArgs } from "./ffmpeg-args.js";
import { FfmpegProcess, LineRing } from "./ffmpeg-process.js";
import { recoverPartialSegment } from "./reconcile.js";
import { type RecordingTarget, redactForTarget } from "./recording-target.js";
import { fileSegment, incomingDir } from "./segment-files.js";
import { parseSegmentListLine } from "./segment-list.js";

/** Re-anchor segment times on the box clock when stream time and wall time part by more. */
const MAX_CLOCK_DRIFT_MS = 2000;
const STOP_DEADLINES = { quitMs: 5000, termMs: 3000 };

export interface SpaceKeeper {
  /** Frees disk space now, harder than the quota alone asks (the disk filled up anyway). */
  makeRoom(reason: string): Promise<void>;
}

export interface CameraRecorderDeps {
  target: RecordingTarget;
  ffmpeg: string;
  ffprobe: string;
  /** What ffmpeg reads the camera through: it never holds the camera's password. */
  relay: Pick<RtspRelay, "open">;
  storageDir: string;
  segmentSeconds: number;
  connectTimeoutMs: number;
  restartDelayMaxMs: number;
  segments: SegmentRepository;
  events: EventLog;
  bus: EventBus<AgentEvents>;
  space: SpaceKeeper;
  logger: Logger;
  now?: () => number;
  /** hashFile's read buffer, shared by the service's recorders (see hashScratch). */
  hashBuffer?: Buffer;
}

function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "ENOSPC" || code === "SQLITE_FULL";
}

/**
 * Supervises the ffmpeg that records one camera: restarts it with backoff when it ends, kills it
 * when no segment closed for 3 segment lengths, and files each closed segment in the index.
 */
export class CameraRecorder {
  #process: FfmpegProcess | undefined;
  #loop: Promise<void> | undefined;
  #abort = new AbortController();
  /** End of the last indexed segment: where a gap starts. */
  #lastEndMs: number | undefined;
  #offline = false;
  #segmentsThisRun = 0;

  constructor(private readonly deps: CameraRecorderDeps) {}

  get cameraId(): string {
    return this.deps.target.cameraId;
  }

  get target(): RecordingTarget {
    return this.deps.target;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#supervise(this.#abort.signal).catch((error: unknown) =>
      this.deps.logger.error({ err: error }, "recorder supervisor failed"),
    );
  }

  async stop(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#abort.abort();
    await loop;
    this.#loop = undefined;
    this.deps.bus.emit("recorderState", { cameraId: this.cameraId, state: "stopped" });
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  #redact(line: string): string {
    return redactForTarget(line, this.deps.target);
  }

  async #supervise(signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const backoff = new Backoff({
      initialMs: 1000,
      maxMs: deps.restartDelayMaxMs,
      stableMs: 6 * deps.segmentSeconds * 1000,
    });
    while (!signal.aborted) {
      const startedMs = this.#now();
      const outcome = await this.#runOnce(signal);
      if (signal.aborted) break;
      const ranMs = this.#now() - startedMs;
      await this.#afterExit(outcome);
      const delay = backoff.next(ranMs);
      deps.bus.emit("recorderState", { cameraId: this.cameraId, state: "retrying" });
      deps.logger.debug({ delayMs: delay }, "restarting ffmpeg after a pause");
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  async #runOnce(
    signal: AbortSignal,
  ): Promise<{ stderr: LineRing; stalled: boolean; code: number | null }> {
    const { deps } = this;
    const incoming = incomingDir(deps.storageDir, this.cameraId);
    await mkdir(incoming, { recursive: true, mode: 0o750 });
    const startedMs = this.#now();
    const run = `${startedMs.toString(36)}${randomBytes(3).toString("hex")}`;
    const stderr = new LineRing(20);
    let anchorMs: number | undefined;
    let filing: Promise<void> = Promise.resolve();
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    this.#segmentsThisRun = 0;

    // A fresh single-use relay URL per run: the one in the last ffmpeg's argv is spent.
    const ticket = deps.relay.open(deps.target);
    const process = new FfmpegProcess(
      deps.ffmpeg,
      recordArgs({
        input: ticket.url,
        // The relay carries RTSP interleaved over TCP only.
        transport: "tcp",
        segmentSeconds: deps.segmentSeconds,
        connectTimeoutMs: deps.connectTimeoutMs,
        outputPattern: join(incoming, `${run}-%06d.ts`),
      }),
      {
        stdout: (line) => {
          armWatchdog(3 * deps.segmentSeconds * 1000);
          const closedMs = this.#now();
          filing = filing
            .then(async () => {
              const entry = parseSegmentListLine(line);
              // Stream time keeps segments contiguous; the box clock anchors it, again on a jump.
              let anchor = anchorMs ?? closedMs - entry.endSec * 1000;
              if (Math.abs(anchor + entry.endSec * 1000 - closedMs) > MAX_CLOCK_DRIFT_MS)
                anchor = closedMs - entry.endSec * 1000;
              anchorMs = anchor;
              await this.#file(
                join(incoming, entry.file),
                Math.round(anchor + entry.startSec * 1000),
                Math.round(anchor + entry.endSec * 1000),
              );
            })
            .catch((error: unknown) =>
              deps.logger.error({ err: error, line: this.#redact(line) }, "segment not indexed"),
            );
        },
        stderr: (line) => {
          const clean = this.#redact(line);
          stderr.push(clean);
          if (this.#segmentsThisRun === 0) deps.logger.debug({ ffmpeg: clean }, "ffmpeg says");
        },
      },
    );
    this.#process = process;
    const onAbort = () => void process.stop(STOP_DEADLINES);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const armWatchdog = (ms: number) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        deps.logger.warn(
          { waitedMs: ms },
          "no segment closed in time: restarting a stalled stream",
        );
        process.kill();
      }, ms);
    };
    armWatchdog(deps.connectTimeoutMs + 3 * deps.segmentSeconds * 1000);
    deps.bus.emit("recorderState", { cameraId: this.cameraId, state: "starting" });
    deps.logger.debug({ pid: process.pid, url: deps.target.displayUrl }, "ffmpeg started");
    const exit = await process.exited;
    ticket.revoke();
    signal.removeEventListener("abort", onAbort);
    clearTimeout(watchdog);
    await filing;
    this.#process = undefined;
    await this.#recoverLeftovers(incoming, run, startedMs).catch((error: unknown) =>
      deps.logger.error({ err: error }, "could not recover the unfinished segment"),
    );
    return { stderr, stalled, code: exit.code };
  }

  /** The segment open when ffmpeg ended without closing it (killed, crashed): kept if it plays. */
  async #recoverLeftovers(incoming: string, run: string, runStartMs: number): Promise<void> {
    const { deps } = this;
    for (const name of await readdir(incoming)) {
      if (!name.startsWith(`${run}-`)) continue;
      const segment = await this.#withRoom(() =>
        recoverPartialSegment(deps.segments, {
          storageDir: deps.storageDir,
          cameraId: this.cameraId,
          file: join(incoming, name),
          startMs: this.#segmentsThisRun > 0 ? (this.#lastEndMs ?? runStartMs) : runStartMs,
          ffprobe: deps.ffprobe,
        }),
      );
      if (segment) this.#indexed(segment);
    }
  }

  /** Runs a filing step; on a full disk, makes room and tries once more. */
  async #withRoom<T>(step: () => Promise<T>): Promise<T> {
    return step().catch(async (error: unknown) => {
      if (!isDiskFull(error)) throw error;
      await this.deps.space.makeRoom("filing a segment hit a full disk");
      return step();
    });
  }

  async #file(file: string, startMs: number, endMs: number): Promise<void> {
    const { deps } = this;
    const input = { storageDir: deps.storageDir, cameraId: this.cameraId, file, startMs, endMs };
    this.#indexed(await this.#withRoom(() => fileSegment(deps.segments, input, deps.hashBuffer)));
  }

  #indexed(segment: SegmentRecord): void {
    const { deps } = this;
    if (this.#segmentsThisRun++ === 0)
      deps.bus.emit("recorderState", { cameraId: this.cameraId, state: "recording" });
    if (this.#offline) {
      this.#offline = false;
      deps.events.record("recording_resumed", this.cameraId, {
        gapFromMs: this.#lastEndMs ?? null,
        gapToMs: segment.startMs,
      });
      deps.logger.info("camera back: recording resumed");
    }
    this.#lastEndMs = segment.endMs;
    deps.bus.emit("segmentClosed", { segment });
  }

  async #afterExit(outcome: { stderr: LineRing; stalled: boolean; code: number | null }) {
    const { deps } = this;
    const reason = outcome.stalled
      ? "stalled"
      : (outcome.stderr.last ?? `ffmpeg exited with code ${outcome.code}`);
    if (outcome.stderr.lines.some((line) => /no space left on device/i.test(line))) {
      deps.events.record("disk_full", this.cameraId, { reason });
      await deps.space.makeRoom("ffmpeg hit a full disk");
    }
    if (this.#segmentsThisRun === 0 && !this.#offline) {
      this.#offline = true;
      deps.events.record("camera_offline", this.cameraId, {
        reason,
        sinceMs: this.#lastEndMs ?? this.#now(),
      });
      deps.logger.warn({ reason, stderr: outcome.stderr.lines }, "camera stream unavailable");
    } else if (this.#segmentsThisRun > 0) {
      deps.events.record("recording_restarted", this.cameraId, { reason, code: outcome.code });
      deps.logger.warn({ reason, stderr: outcome.stderr.lines }, "ffmpeg ended; restarting");
    }
  }
}
