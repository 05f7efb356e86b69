import { randomBytes } from "node:crypto";
import { mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentEvents } from "../agent-events.js";
import type { EventLog } from "../events/index.js";
import { Backoff, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { RtspRelay } from "../rtsp-relay/index.js";
import type { SegmentMedia, SegmentRecord, SegmentRepository } from "../store/index.js";
import type { AudioMode } from "./audio-plan.js";
import { exitCause } from "./exit-cause.js";
import { recordArgs } from "./ffmpeg-args.js";
import { FfmpegProcess, LineRing } from "./ffmpeg-process.js";
import { decodeMedia, MediaProbeError, probeMedia, segmentMedia } from "./media-probe.js";
import { type Refusal, type Run, StreamWatch } from "./recording-run.js";
import { refusalVi } from "./refusal-text.js";
import { type RecordingTarget, redactForTarget } from "./recording-target.js";
import { fileSegment, incomingDir } from "./segment-files.js";
import { parseSegmentListLine, type SegmentListEntry } from "./segment-list.js";
import { cutAtTimestampJump } from "./segment-repair.js";
import { type Placement, RunTimeline } from "./segment-timing.js";

const STOP_DEADLINES = { quitMs: 5000, termMs: 3000 };
/** A camera whose stream cannot be stored is tried again this often (it may be reconfigured). */
export const REFUSED_RETRY_MS = 15 * 60 * 1000;

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
  /** What becomes of the camera's audio (recorder.audio); default: not recorded. */
  audio?: AudioMode;
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
 * when no segment closed for 3 segment lengths, and files each closed segment in the index at
 * box-clock times that never overlap (RunTimeline). The relay cuts the stream where its clock
 * jumps or its parameters change, which ends the run; a new one starts at once. A stream that
 * holds no storable video (MJPEG) is refused: nothing of it is indexed.
 */
export class CameraRecorder {
  #run: Run | undefined;
  #loop: Promise<void> | undefined;
  #abort = new AbortController();
  /** End of the last indexed segment: where a gap starts, and where the next may start. */
  #lastEndMs: number | undefined;
  #offline = false;
  #refusal: Refusal | undefined;
  /** The last run was started again at once for its audio arguments. */
  #replanned = false;
  readonly #watch: StreamWatch;

  constructor(private readonly deps: CameraRecorderDeps) {
    this.#watch = new StreamWatch(deps.logger, deps.audio);
  }

  get cameraId(): string {
    return this.deps.target.cameraId;
  }

  get target(): RecordingTarget {
    return this.deps.target;
  }

  get audioMode(): AudioMode {
    return this.deps.audio ?? "drop";
  }

  get pid(): number | undefined {
    return this.#run?.process?.pid;
  }

  /** Why the camera is not recorded, while its stream is refused. */
  get refusal(): string | undefined {
    return this.#refusal?.message;
  }

  /** The same, in Vietnamese. */
  get refusalVi(): string | undefined {
    return this.#refusal && refusalVi(this.#refusal);
  }

  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#lastEndMs ??= this.deps.segments.span(this.cameraId)?.newestMs;
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
    const segmentMs = deps.segmentSeconds * 1000;
    const backoff = new Backoff({
      initialMs: 1000,
      maxMs: deps.restartDelayMaxMs,
      stableMs: 6 * segmentMs,
    });
    while (!signal.aborted) {
      const run = await this.#runOnce(signal);
      if (signal.aborted) break;
      // Started with audio arguments its SDP did not fit: again at once, nothing was written
      // (once in a row: a camera whose SDP changes every time waits like any failing one).
      const replan = run.replanned === true && run.segments === 0 && !this.#replanned;
      this.#replanned = replan;
      if (replan) continue;
      const ranMs = this.#now() - run.startedMs;
      await this.#afterExit(run);
      // A stream cut where it broke starts again at once, unless it keeps breaking.
      const delay = run.refused
        ? REFUSED_RETRY_MS
        : run.broke && ranMs >= segmentMs
          ? 0
          : backoff.next(ranMs);
      deps.bus.emit("recorderState", {
        cameraId: this.cameraId,
        state: run.refused ? "stopped" : "retrying",
      });
      deps.logger.debug({ delayMs: delay }, "restarting ffmpeg after a pause");
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  async #runOnce(signal: AbortSignal): Promise<Run> {
    const { deps } = this;
    const startedMs = this.#now();
    const run: Run = {
      id: `${startedMs.toString(36)}${randomBytes(3).toString("hex")}`,
      startedMs,
      incoming: incomingDir(deps.storageDir, this.cameraId),
      timeline: new RunTimeline({
        segmentMs: deps.segmentSeconds * 1000,
        runStartMs: startedMs,
        notBeforeMs: this.#lastEndMs ?? Number.NEGATIVE_INFINITY,
      }),
      stderr: new LineRing(20),
      stalled: false,
      code: null,
      segments: 0,
      lastEndSec: 0,
      media: undefined,
      broke: undefined,
      refused: undefined,
      unstorable: undefined,
      unchecked: new Set(),
      process: undefined,
      audio: this.#watch.audioPlan,
    };
    await mkdir(run.incoming, { recursive: true, mode: 0o750 });
    let filing: Promise<void> = Promise.resolve();
    let watchdog: NodeJS.Timeout | undefined;

    // A fresh single-use relay URL per run: the one in the last ffmpeg's argv is spent.
    const ticket = deps.relay.open(deps.target, {
      guard: {
        onBreak: (why) => (run.broke ??= { ...why, detectedBy: "relay" }),
        onDescribed: (formats) => {
          if (this.#watch.described(run, formats) === "replan") run.process?.kill();
        },
        watchParameters: this.#watch.watchParameters,
      },
    });
    const process = new FfmpegProcess(
      deps.ffmpeg,
      recordArgs({
        input: ticket.url,
        // The relay carries RTSP interleaved over TCP only.
        transport: "tcp",
        segmentSeconds: deps.segmentSeconds,
        connectTimeoutMs: deps.connectTimeoutMs,
        outputPattern: join(run.incoming, `${run.id}-%06d.ts`),
        audio: run.audio,
      }),
      {
        stdout: (line) => {
          armWatchdog(3 * deps.segmentSeconds * 1000);
          const closedMs = this.#now();
          filing = filing
            .then(() => this.#closed(run, line, closedMs))
            .catch((error: unknown) =>
              deps.logger.error({ err: error, line: this.#redact(line) }, "segment not indexed"),
            );
        },
        stderr: (line) => {
          const clean = this.#redact(line);
          run.stderr.push(clean);
          this.#watch.heard(run, clean);
          if (run.segments === 0) deps.logger.debug({ ffmpeg: clean }, "ffmpeg says");
        },
      },
    );
    run.process = process;
    this.#run = run;
    const onAbort = () => void process.stop(STOP_DEADLINES);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const armWatchdog = (ms: number) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        run.stalled = true;
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
    run.code = exit.code;
    ticket.revoke();
    signal.removeEventListener("abort", onAbort);
    clearTimeout(watchdog);
    await filing;
    run.process = undefined;
    await this.#recoverLeftovers(run).catch((error: unknown) =>
      deps.logger.error({ err: error }, "could not recover the unfinished segment"),
    );
    return run;
  }

  /** A segment ffmpeg closed: checked if it is the run's first, placed on the box clock, filed. */
  async #closed(run: Run, line: string, closedMs: number): Promise<void> {
    const entry = parseSegmentListLine(line);
    const file = join(run.incoming, entry.file);
    if (run.refused) return void (await unlink(file).catch(() => undefined));
    if (run.media === undefined) {
      const verdict = await this.#checkFirst(run, file);
      if (verdict === "unchecked") return void run.unchecked.add(entry.file);
      if (verdict === "drop") {
        if (run.refused) void run.process?.stop(STOP_DEADLINES);
        await unlink(file).catch(() => undefined);
        return;
      }
    }
    run.lastEndSec = entry.endSec;
    await this.#placeAndFile(run, file, entry, closedMs);
  }

  /**
   * A run's first segment is indexed only once ffprobe read its video and ffmpeg decoded
   * pictures from it: what it holds (run.media) then stands for the run. One that could not be
   * checked (the tools did not run, or not to their end: a loaded box) is left in the incoming
   * folder for reconcile at the next start, and the next segment is checked in its place.
   */
  async #checkFirst(run: Run, file: string): Promise<"keep" | "drop" | "unchecked"> {
    try {
      const facts = await probeMedia(this.deps.ffprobe, file);
      if (this.#watch.judge(run, facts) === "drop") return "drop";
      const decoded = await decodeMedia(this.deps.ffmpeg, file);
      if (decoded.frames > 0) return "keep";
      run.media = undefined;
      this.deps.logger.warn(
        { file, errors: decoded.errors },
        "a run's first segment holds no picture that decodes: not indexed",
      );
      return "drop";
    } catch (error) {
      if (!(error instanceof MediaProbeError)) throw error;
      run.media = undefined;
      this.deps.logger.warn(
        { err: error },
        "could not check a run's first segment: left for reconcile",
      );
      return "unchecked";
    }
  }

  async #placeAndFile(
    run: Run,
    file: string,
    entry: Pick<SegmentListEntry, "startSec" | "endSec">,
    closedMs: number,
  ): Promise<void> {
    const placement = run.timeline.place(entry, closedMs);
    if (placement.kind === "broken") return this.#repair(run, file, placement);
    if (placement.corrected)
      this.deps.logger.debug({ file: entry, why: placement.corrected }, "segment time corrected");
    await this.#file(file, placement.startMs, placement.endMs, run.media);
  }

  /**
   * A segment whose timestamps jumped inside (the relay did not see it coming): cut at the jump,
   * filed at box-clock times, and the run ended so that the next one starts a clean timeline.
   */
  async #repair(run: Run, file: string, broken: Placement & { kind: "broken" }): Promise<void> {
    const { deps } = this;
    run.broke ??= { kind: "timestamp_jump", detectedBy: "segment", detail: broken.reason };
    void run.process?.stop(STOP_DEADLINES);
    const facts = await cutAtTimestampJump(deps, file).catch((error: unknown) => {
      deps.logger.warn({ err: error }, "could not cut a segment at its timestamp jump");
      return undefined;
    });
    const arrivedMs = broken.toMs - broken.fromMs;
    const durationMs = facts ? Math.min(facts.durationSec * 1000, arrivedMs) : arrivedMs;
    const placed = run.timeline.follow(broken.fromMs, durationMs);
    deps.logger.warn(
      { why: broken.reason, cut: facts !== undefined, seconds: durationMs / 1000 },
      "a segment's timestamps jumped: filed at box-clock times",
    );
    await this.#file(file, placed.startMs, placed.endMs, facts ? segmentMedia(facts) : run.media);
  }

  /**
   * The segment open when ffmpeg ended without closing it (killed, crashed): kept if it plays
   * and decodes (each picture was flushed to the file as it came, so it holds the stream up to
   * the kill).
   */
  async #recoverLeftovers(run: Run): Promise<void> {
    for (const name of await readdir(run.incoming)) {
      if (!name.startsWith(`${run.id}-`) || run.unchecked.has(name)) continue;
      const file = join(run.incoming, name);
      if (run.refused) {
        await unlink(file).catch(() => undefined);
        continue;
      }
      // Throws MediaProbeError when ffprobe cannot tell: the file stays for the next start.
      const facts = await probeMedia(this.deps.ffprobe, file);
      if (!facts.playable || (await decodeMedia(this.deps.ffmpeg, file)).frames === 0) {
        await unlink(file);
        continue;
      }
      run.media ??= segmentMedia(facts);
      const entry = { startSec: run.lastEndSec, endSec: run.lastEndSec + facts.durationSec };
      await this.#placeAndFile(run, file, entry, this.#now());
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

  async #file(
    file: string,
    startMs: number,
    endMs: number,
    media: SegmentMedia | undefined,
  ): Promise<void> {
    const { deps } = this;
    const input = { storageDir: deps.storageDir, cameraId: this.cameraId, file, startMs, endMs };
    const segment = await this.#withRoom(() =>
      fileSegment(deps.segments, { ...input, media }, deps.hashBuffer),
    );
    this.#indexed(segment);
  }

  #indexed(segment: SegmentRecord): void {
    const { deps } = this;
    const run = this.#run;
    if (run && run.segments++ === 0)
      deps.bus.emit("recorderState", { cameraId: this.cameraId, state: "recording" });
    this.#refusal = undefined;
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

  async #afterExit(run: Run) {
    const { deps } = this;
    const reason = exitCause(run);
    if (run.stderr.lines.some((line) => /no space left on device/i.test(line))) {
      deps.events.record("disk_full", this.cameraId, { reason });
      await deps.space.makeRoom("ffmpeg hit a full disk");
    }
    if (run.refused) return this.#refused(run.refused);
    if (run.broke) {
      this.#watch.ended(run);
      const { detectedBy, ...cause } = run.broke;
      deps.events.record("recording_discontinuity", this.cameraId, {
        ...cause,
        detectedBy,
        segments: run.segments,
        atMs: this.#lastEndMs ?? null,
      });
      deps.logger.warn({ ...run.broke }, "the stream broke: segment ended, recording restarts");
      return;
    }
    if (run.segments === 0 && !this.#offline) {
      this.#offline = true;
      deps.events.record("camera_offline", this.cameraId, {
        reason,
        sinceMs: this.#lastEndMs ?? this.#now(),
      });
      deps.logger.warn({ reason, stderr: run.stderr.lines }, "camera stream unavailable");
    } else if (run.segments > 0) {
      deps.events.record("recording_restarted", this.cameraId, { reason, code: run.code });
      deps.logger.warn({ reason, stderr: run.stderr.lines }, "ffmpeg ended; restarting");
    }
  }

  /** Told once per reason while it lasts; tried again every REFUSED_RETRY_MS. */
  #refused(refusal: Refusal): void {
    const known = this.#refusal?.message === refusal.message;
    this.#refusal = refusal;
    if (known) return;
    this.deps.events.record("recording_refused", this.cameraId, {
      reason: refusal.reason,
      codec: refusal.codec,
      message: refusal.message,
    });
    this.deps.logger.error(
      { codec: refusal.codec, retryMs: REFUSED_RETRY_MS },
      `camera not recorded: ${refusal.message}`,
    );
  }
}
