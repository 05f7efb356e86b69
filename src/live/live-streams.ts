import { randomBytes } from "node:crypto";
import { CommandRefusedError } from "../commands/errors.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { RelayTicket } from "../rtsp-relay/index.js";
import {
  FfmpegProcess,
  LineRing,
  liveArgs,
  type RecordingTarget,
  redactForTarget,
} from "../recorder/index.js";
import { LIVE_CONTENT_TYPE, type SiteTopics } from "../protocol/index.js";
import type { TokenBucket, UplinkLink } from "../uplink/index.js";
import { Hvc1Tagger } from "./hvc1-tag.js";

/** Fragments published and not yet acknowledged before ffmpeg's output is paused. */
const MAX_IN_FLIGHT = 32;
/** After the requested time, ffmpeg gets this long to end by itself before it is stopped. */
const GRACE_MS = 5000;
/**
 * Stopping a view: 'q', then SIGTERM soon (ffmpeg ends as cleanly on it, and reads no 'q' while
 * it is still opening the stream), then SIGKILL. Restarts of one camera take turns, so each
 * one's stop is on the way of the next.
 */
const STOP_DEADLINES = { quitMs: 250, termMs: 2000 };

/** ffmpeg, the stream, and the single-use relay URL that ffmpeg reads it through. */
export type LiveSource =
  { ffmpeg: string; target: RecordingTarget; ticket: RelayTicket } | { skip: string };

export interface LiveStreamsDeps {
  /** The camera's live source (its smallest stream), or why there is none. */
  source: (cameraId: string) => LiveSource;
  session: UplinkLink;
  topics: SiteTopics;
  bucket: TokenBucket | undefined;
  connectTimeoutMs: number;
  /** Live views open at once, at most (`uplink.maxLiveSessions`). */
  maxSessions: number;
  logger: Logger;
}

export interface LiveSessionInfo {
  session: string;
  camera: string;
  topic: string;
  endsAt: string;
}

interface LiveSession extends LiveSessionInfo {
  process: FfmpegProcess;
  timer: NodeJS.Timeout;
  ended: Promise<void>;
}

/**
 * Live views on request: an ffmpeg per camera copying its sub-stream into fragmented MP4 on a
 * pipe, each piece published on `cameras/<id>/live` (QoS 1, with the session id and a sequence
 * number) as it comes, and a last empty message when the view ends (time up, `live.stop`,
 * camera gone, link down). The pipe is paused while a piece waits for the upload cap's bucket
 * or too much waits for acknowledgement.
 * Starts and stops of one camera take turns, so concurrent requests cannot leave an ffmpeg
 * behind; at most `maxSessions` views run at once.
 */
export class LiveStreams implements Component {
  readonly name = "live";
  readonly #sessions = new Map<string, LiveSession>();
  /** Per camera, the end of the last start or stop queued for it. */
  readonly #turns = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: LiveStreamsDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((camera) => this.end(camera)));
  }

  sessions(): LiveSessionInfo[] {
    return [...this.#sessions.values()].map(({ session, camera, topic, endsAt }) => ({
      session,
      camera,
      topic,
      endsAt,
    }));
  }

  /** Starts (or restarts) a camera's live view for `seconds`. */
  begin(cameraId: string, seconds: number): Promise<LiveSessionInfo> {
    return this.#inTurn(cameraId, () => this.#begin(cameraId, seconds));
  }

  /** Ends a camera's live view; false if it had none. */
  end(cameraId: string): Promise<boolean> {
    return this.#inTurn(cameraId, () => this.#end(cameraId));
  }

  /** Runs `work` once every start or stop of the camera queued before it has finished. */
  #inTurn<T>(cameraId: string, work: () => Promise<T>): Promise<T> {
    const before = this.#turns.get(cameraId) ?? Promise.resolve();
    const turn = before.then(work);
    const done = turn.catch(() => undefined);
    this.#turns.set(cameraId, done);
    void done.then(() => {
      if (this.#turns.get(cameraId) === done) this.#turns.delete(cameraId);
    });
    return turn;
  }

  async #begin(cameraId: string, seconds: number): Promise<LiveSessionInfo> {
    if (!this.deps.session.connected)
      throw new CommandRefusedError("unavailable", "the uplink is down");
    await this.#end(cameraId);
    if (this.#sessions.size >= this.deps.maxSessions)
      throw new CommandRefusedError(
        "live_limit",
        `${this.#sessions.size} live views are open, the most this box allows ` +
          "(uplink.maxLiveSessions); stop one first",
      );
    const source = this.deps.source(cameraId);
    if ("skip" in source) throw new CommandRefusedError("unavailable", source.skip);
    const session = randomBytes(8).toString("hex");
    const topic = this.deps.topics.live(cameraId);
    const logger = this.deps.logger.child({ camera: cameraId, session });
    const stderr = new LineRing(10);
    const process = new FfmpegProcess(
      source.ffmpeg,
      liveArgs({
        input: source.ticket.url,
        // The relay carries RTSP interleaved over TCP only.
        transport: "tcp",
        connectTimeoutMs: this.deps.connectTimeoutMs,
        seconds,
      }),
      { stdout: "raw", stderr: (line) => stderr.push(redactForTarget(line, source.target)) },
    );
    const info: LiveSessionInfo = {
      session,
      camera: cameraId,
      topic,
      endsAt: new Date(Date.now() + seconds * 1000).toISOString(),
    };
    // Ends this view, not one that replaced it meanwhile.
    const timer = setTimeout(
      () =>
        void this.#inTurn(cameraId, async () =>
          this.#sessions.get(cameraId)?.session === session ? this.#end(cameraId) : false,
        ),
      seconds * 1000 + GRACE_MS,
    );
    const ended = this.#relay(info, process).then(async () => {
      clearTimeout(timer);
      const exit = await process.exited;
      source.ticket.revoke();
      if (this.#sessions.get(cameraId)?.session === session) this.#sessions.delete(cameraId);
      logger.info({ exit, lastError: stderr.last ?? null }, "live view ended");
    });
    this.#sessions.set(cameraId, { ...info, process, timer, ended });
    logger.info({ seconds, url: source.target.displayUrl }, "live view started");
    return info;
  }

  async #end(cameraId: string): Promise<boolean> {
    const live = this.#sessions.get(cameraId);
    if (!live) return false;
    this.#sessions.delete(cameraId);
    clearTimeout(live.timer);
    await live.process.stop(STOP_DEADLINES);
    await live.ended;
    return true;
  }

  /**
   * Publishes ffmpeg's output in order, each piece once the upload cap's bucket has its bytes
   * (`uplink.maxBitsPerSecond`): ffmpeg's pipe is paused while a piece waits, so ffmpeg, and the
   * camera's stream behind it, slow down to the cap instead of going over it. HEVC is tagged
   * hvc1 on the way. Resolves after the closing message.
   */
  #relay(info: LiveSessionInfo, process: FfmpegProcess): Promise<void> {
    const output = process.output;
    const tagger = new Hvc1Tagger();
    const gone = new AbortController();
    let seq = 0;
    let inFlight = 0;
    let waiting = 0;
    let sending: Promise<void> = Promise.resolve();
    const resumeIfDrained = () => {
      if (waiting === 0 && inFlight < MAX_IN_FLIGHT / 2 && output?.isPaused()) output.resume();
    };
    const publish = (payload: Buffer, final: boolean) => {
      inFlight++;
      this.deps.session
        .publish(info.topic, payload, {
          qos: 1,
          contentType: LIVE_CONTENT_TYPE,
          userProperties: {
            session: info.session,
            seq: String(seq++),
            ...(final ? { final: "true" } : {}),
          },
        })
        .then(
          () => {
            inFlight--;
            resumeIfDrained();
          },
          // The link went or the broker refused: a live view does not outlive its audience.
          () => {
            gone.abort();
            process.kill();
          },
        );
      if (inFlight >= MAX_IN_FLIGHT) output?.pause();
    };
    const send = (payload: Buffer) => {
      waiting++;
      output?.pause();
      sending = sending
        .then(async () => {
          await this.deps.bucket?.take(payload.length, gone.signal);
          publish(payload, false);
        })
        .catch(() => undefined)
        .finally(() => {
          waiting--;
          resumeIfDrained();
        });
    };
    output?.on("data", (chunk: Buffer) => tagger.push(chunk).forEach(send));
    return process.exited.then(async () => {
      tagger.flush().forEach(send);
      await sending;
      publish(Buffer.alloc(0), true);
    });
  }
}
