import { type FileHandle, open } from "node:fs/promises";
import type { AgentEvents } from "../agent-events.js";
import { CamgateError } from "../errors.js";
import { type Component, type EventBus, WakeUp } from "../lifecycle/index.js";
import type { EventLog } from "../events/index.js";
import type { Logger } from "../log/index.js";
import type { SegmentRecord, Store } from "../store/index.js";
import { BrokerBusyError, LinkDownError, type UplinkLink } from "./link.js";
import type { TokenBucket } from "./token-bucket.js";
import {
  chunkCount,
  chunkProperties,
  type SiteTopics,
  VIDEO_CONTENT_TYPE,
} from "../protocol/index.js";

/** `events`: only the segments around camera events (and clips on request) go upstream. */
export type ForwardMode = "continuous" | "on-demand" | "off" | "events";

/**
 * A window around an event whose camera recorded nothing past its end for this long is done:
 * whatever it had was sent.
 */
const EVENT_WINDOW_SETTLE_MS = 10 * 60_000;

/** The segment's file is gone or no longer what the index says: the transfer is given up. */
export class SegmentUnavailableError extends CamgateError {}

export interface VideoForwarderDeps {
  store: Pick<Store, "repos" | "db">;
  session: UplinkLink;
  /** Video goes only when the outbox (status, events, replies...) has nothing waiting. */
  sender: { whenIdle(signal: AbortSignal): Promise<void> };
  bus: EventBus<AgentEvents>;
  events: EventLog;
  topics: SiteTopics;
  logger: Logger;
  chunkBytes: number;
  bucket: TokenBucket | undefined;
  /** Each camera's forwarding mode (its override, else the default), read at every pick. */
  forwardMode: (cameraId: string) => ForwardMode;
  /** A segment that ended this recently counts as live: it goes before the backlog. */
  freshMs: number;
  now?: () => number;
}

export interface VideoForwarderStatus {
  /** Closed segments of continuous cameras not yet at the center. */
  backlog: { segments: number; bytes: number };
  segmentsSent: number;
  bytesSent: number;
  chunksSent: number;
  requested: number;
  current: { segmentId: number; chunk: number; chunks: number } | null;
}

interface ChunkPlan {
  segment: SegmentRecord;
  chunkBytes: number;
  chunks: number;
  firstChunk: number;
}

/**
 * Sends closed segments to the center as chunks of `uplink.chunkBytes`, QoS 1, one chunk in
 * flight: read from disk into two reused buffers (never a whole file in memory), acknowledged
 * progress committed per chunk so a drop or a crash resends at most the chunk in flight, and the
 * segment marked forwarded when its last chunk is acknowledged. Order: segments the center asked
 * for, then the segments around camera events (continuous and events cameras), then the newest
 * (live) segment, then the backlog oldest first; all under the upload cap.
 */
export class VideoForwarder implements Component {
  readonly name = "uplink-video";
  readonly #wakeUp = new WakeUp();
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void)[] = [];
  /** Two reused buffers: the next chunk is read while the one before is in flight. */
  #buffers: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  readonly #status: Omit<VideoForwarderStatus, "backlog" | "requested"> = {
    segmentsSent: 0,
    bytesSent: 0,
    chunksSent: 0,
    current: null,
  };

  constructor(private readonly deps: VideoForwarderDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { bus } = this.deps;
    this.#unsubscribe = [
      bus.on("segmentClosed", () => this.#wakeUp.notify()),
      bus.on("videoRequested", () => this.#wakeUp.notify()),
      // A camera event of a camera forwarding only what is around events: the segments before
      // it are closed already and may now be due. A continuous camera's are picked anyway: an
      // idle forwarder has none left unsent, a busy one picks again after each segment (a pick
      // per event cost more than the rest of the event's path).
      bus.on("boxEvent", ({ cameraId }) => {
        if (cameraId !== null && this.deps.forwardMode(cameraId) === "events")
          this.#wakeUp.notify();
      }),
      // A camera may have been switched to continuous.
      bus.on("configReloaded", () => this.#wakeUp.notify()),
      bus.on("uplinkState", () => this.#wakeUp.notify()),
    ];
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  status(): VideoForwarderStatus {
    const { repos } = this.deps.store;
    const backlog = { segments: 0, bytes: 0 };
    for (const usage of repos.segments.usage()) {
      if (usage.state !== "closed" || this.deps.forwardMode(usage.cameraId) !== "continuous")
        continue;
      backlog.segments += usage.segments;
      backlog.bytes += usage.bytes;
    }
    return { ...this.#status, backlog, requested: repos.videoTransfers.requested() };
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { logger } = this.deps;
    while (!signal.aborted) {
      if (!this.deps.session.connected) {
        await this.#wakeUp.wait(signal);
        continue;
      }
      // #send waits for an idle outbox before each chunk, the first included.
      const segment = this.#next();
      if (!segment) {
        await this.#wakeUp.wait(signal);
        continue;
      }
      try {
        await this.#send(this.#plan(segment), signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof SegmentUnavailableError) {
          this.#lost(segment, error);
        } else if (error instanceof LinkDownError) {
          // Resumes from the last acknowledged chunk.
          logger.debug({ segmentId: segment.id }, "transfer paused until the link is back");
        } else if (error instanceof BrokerBusyError) {
          // As for the outbox: resend in order on a new connection, after a backoff.
          this.deps.session.reconnect("the broker is busy");
        } else {
          // Refused, or the store failing: try again at the next change rather than spin.
          logger.error({ segmentId: segment.id, err: error }, "video forwarding failed");
          await this.#wakeUp.wait(signal);
        }
      } finally {
        this.#status.current = null;
      }
    }
  }

  #lost(segment: SegmentRecord, error: SegmentUnavailableError): void {
    const { repos } = this.deps.store;
    this.deps.logger.warn({ segmentId: segment.id, err: error }, "segment cannot be forwarded");
    repos.videoTransfers.abandon(segment.id);
    repos.segments.markGone([segment.id], "lost");
    this.deps.events.record("segment_lost_unforwarded", segment.cameraId, {
      segmentId: segment.id,
      startMs: segment.startMs,
      endMs: segment.endMs,
      bytes: segment.bytes,
      reason: error.message,
    });
  }

  #next(): SegmentRecord | undefined {
    const { repos } = this.deps.store;
    const requested = repos.videoTransfers.nextRequested();
    if (requested !== undefined) return repos.segments.get(requested);
    const now = (this.deps.now ?? Date.now)();
    const modes = repos.cameras
      .list()
      .map((camera): [string, ForwardMode] => [camera.id, this.deps.forwardMode(camera.id)]);
    const around = this.#aroundEvents(
      modes.filter(([, mode]) => mode === "continuous" || mode === "events").map(([id]) => id),
      now,
    );
    if (around) return around;
    let live: SegmentRecord | undefined;
    let oldest: SegmentRecord | undefined;
    for (const [cameraId, mode] of modes) {
      if (mode !== "continuous") continue;
      const newest = repos.segments.unforwarded(cameraId, "newest");
      if (newest && newest.endMs >= now - this.deps.freshMs && newest.endMs > (live?.endMs ?? 0))
        live = newest;
      const first = repos.segments.unforwarded(cameraId, "oldest");
      if (first && first.startMs < (oldest?.startMs ?? Infinity)) oldest = first;
    }
    return live ?? oldest;
  }

  /** The oldest segment not yet sent around a camera event of these cameras. */
  #aroundEvents(cameraIds: string[], now: number): SegmentRecord | undefined {
    const { repos } = this.deps.store;
    const next = repos.eventWindows.nextToForward(cameraIds, now - EVENT_WINDOW_SETTLE_MS);
    return next && repos.segments.get(next.segmentId);
  }

  #plan(segment: SegmentRecord): ChunkPlan {
    const progress = this.deps.store.repos.videoTransfers.progress(segment.id);
    // A transfer keeps the chunk size it started with, even if the config changed since.
    const chunkBytes = progress?.chunkBytes ?? this.deps.chunkBytes;
    return {
      segment,
      chunkBytes,
      chunks: chunkCount(segment.bytes, chunkBytes),
      firstChunk: progress?.ackedChunks ?? 0,
    };
  }

  async #send(plan: ChunkPlan, signal: AbortSignal): Promise<void> {
    const { segment, chunkBytes, chunks } = plan;
    if (segment.sha256 === null) throw new SegmentUnavailableError("the segment has no hash");
    if (this.#buffers[0].length < chunkBytes)
      this.#buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
    const file = await open(segment.path, "r").catch((error: unknown) => {
      throw new SegmentUnavailableError(`cannot open ${segment.path}`, { cause: error });
    });
    const read = (chunk: number) => {
      const reading = this.#read(file, plan, chunk, this.#buffers[chunk % 2] as Buffer);
      reading.catch(() => undefined); // awaited below; a failed prefetch must not go unhandled
      return reading;
    };
    // Acknowledged chunks, and how many of them the store has: an acknowledgement is committed
    // while the next chunk travels, so the disk write overlaps the round trip instead of
    // lengthening it. A crash still resends at most one chunk.
    let acked = plan.firstChunk;
    let saved = plan.firstChunk;
    const save = () => {
      if (acked === saved) return;
      const nowMs = (this.deps.now ?? Date.now)();
      this.deps.store.repos.videoTransfers.saveProgress(
        segment.id,
        { chunkBytes, ackedChunks: acked },
        nowMs,
      );
      saved = acked;
    };
    try {
      let next = read(plan.firstChunk);
      for (let chunk = plan.firstChunk; chunk < chunks; chunk++) {
        this.#status.current = { segmentId: segment.id, chunk, chunks };
        const payload = await next;
        await this.deps.bucket?.take(payload.length, signal);
        await this.deps.sender.whenIdle(signal);
        const acknowledged = this.#publish(plan, chunk, payload, signal);
        save();
        if (chunk + 1 < chunks) next = read(chunk + 1);
        await acknowledged;
        acked = chunk + 1;
        this.#status.chunksSent++;
        this.#status.bytesSent += payload.length;
      }
    } catch (error) {
      save();
      throw error;
    } finally {
      await file.close();
    }
    this.deps.store.repos.videoTransfers.complete(segment.id, (this.deps.now ?? Date.now)());
    this.#status.segmentsSent++;
    this.deps.bus.emit("segmentForwarded", {
      cameraId: segment.cameraId,
      segmentId: segment.id,
      bytes: segment.bytes,
    });
    this.deps.logger.debug({ segmentId: segment.id, chunks }, "segment forwarded");
  }

  async #read(file: FileHandle, plan: ChunkPlan, chunk: number, buffer: Buffer): Promise<Buffer> {
    const { segment, chunkBytes } = plan;
    const length = Math.min(chunkBytes, segment.bytes - chunk * chunkBytes);
    const { bytesRead } = await file.read(buffer, 0, length, chunk * chunkBytes);
    if (bytesRead !== length) {
      throw new SegmentUnavailableError(
        `${segment.path} is shorter than its ${segment.bytes} indexed bytes`,
      );
    }
    return buffer.subarray(0, length);
  }

  /** Resolves on the broker's PUBACK; rejects with the session's typed errors otherwise. */
  #publish(plan: ChunkPlan, chunk: number, payload: Buffer, signal: AbortSignal): Promise<void> {
    const { segment } = plan;
    const topic = this.deps.topics.video(segment.cameraId, segment.id);
    return this.deps.session.publish(
      topic,
      payload,
      {
        qos: 1,
        contentType: VIDEO_CONTENT_TYPE,
        userProperties: {
          "segment-id": String(segment.id),
          ...chunkProperties({
            chunk,
            chunks: plan.chunks,
            chunkBytes: plan.chunkBytes,
            bytes: segment.bytes,
            sha256: segment.sha256 ?? "",
            start: new Date(segment.startMs).toISOString(),
            end: new Date(segment.endMs).toISOString(),
          }),
        },
      },
      signal,
    );
  }
}
