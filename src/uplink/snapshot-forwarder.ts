import { createHash } from "node:crypto";
import { readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { AgentEvents } from "../agent-events.js";
import { parseSpoolName } from "../camera-events/event-snapshots.js";
import { type Component, type EventBus, WakeUp } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import {
  chunkCount,
  chunkProperties,
  SNAPSHOT_CONTENT_TYPE,
  type SiteTopics,
} from "../protocol/index.js";
import { BrokerBusyError, LinkDownError, type UplinkLink } from "./link.js";
import type { TokenBucket } from "./token-bucket.js";

export interface SnapshotForwarderDeps {
  spoolDir: string;
  session: UplinkLink;
  /** Pictures go only when the outbox (events first) has nothing waiting. */
  sender: { whenIdle(signal: AbortSignal): Promise<void> };
  bus: EventBus<AgentEvents>;
  topics: SiteTopics;
  chunkBytes: number;
  bucket: TokenBucket | undefined;
  logger: Logger;
}

/**
 * Sends the pictures of camera events (EventSnapshots' spool) to the center, oldest event
 * first, each as chunks of `uplink.chunkBytes` on `cameras/<id>/snapshots/<eventId>` with the
 * headers of a video chunk (the event's time as start and end), QoS 1, one in flight; the file
 * is deleted once its last chunk is acknowledged. A picture interrupted by a drop is sent again
 * whole: it is small, and the center keeps chunks in place.
 */
export class SnapshotForwarder implements Component {
  readonly name = "uplink-snapshots";
  readonly #wakeUp = new WakeUp();
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void)[] = [];
  sent = 0;

  constructor(private readonly deps: SnapshotForwarderDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { bus } = this.deps;
    this.#unsubscribe = [
      bus.on("snapshotSpooled", () => this.#wakeUp.notify()),
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

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const next = this.deps.session.connected ? await this.#oldest() : undefined;
      if (!next) {
        await this.#wakeUp.wait(signal);
        continue;
      }
      try {
        await this.#send(next, signal);
        await unlink(join(this.deps.spoolDir, next));
        this.sent++;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof BrokerBusyError) this.deps.session.reconnect("the broker is busy");
        else if (!(error instanceof LinkDownError)) {
          // Unreadable or refused: dropped rather than retried forever.
          this.deps.logger.warn({ err: error, file: next }, "event snapshot not sent");
          await unlink(join(this.deps.spoolDir, next)).catch(() => undefined);
        }
        await this.#wakeUp.wait(signal);
      }
    }
  }

  async #oldest(): Promise<string | undefined> {
    const names = await readdir(this.deps.spoolDir).catch(() => [] as string[]);
    let oldest: { name: string; eventId: number } | undefined;
    for (const name of names) {
      const parsed = parseSpoolName(name);
      if (parsed && (!oldest || parsed.eventId < oldest.eventId))
        oldest = { name, eventId: parsed.eventId };
    }
    return oldest?.name;
  }

  async #send(name: string, signal: AbortSignal): Promise<void> {
    const { session, topics, chunkBytes } = this.deps;
    const spooled = parseSpoolName(name);
    if (!spooled) return;
    const jpeg = await readFile(join(this.deps.spoolDir, name));
    const sha256 = createHash("sha256").update(jpeg).digest("hex");
    const at = new Date(spooled.tsMs).toISOString();
    const chunks = chunkCount(jpeg.length, chunkBytes);
    for (let chunk = 0; chunk < chunks; chunk++) {
      const payload = jpeg.subarray(chunk * chunkBytes, (chunk + 1) * chunkBytes);
      await this.deps.bucket?.take(payload.length, signal);
      await this.deps.sender.whenIdle(signal);
      await session.publish(
        topics.snapshot(spooled.cameraId, spooled.eventId),
        payload,
        {
          qos: 1,
          contentType: SNAPSHOT_CONTENT_TYPE,
          userProperties: {
            "event-id": String(spooled.eventId),
            ...chunkProperties({
              chunk,
              chunks,
              chunkBytes,
              bytes: jpeg.length,
              sha256,
              start: at,
              end: at,
            }),
          },
        },
        signal,
      );
    }
  }
}
