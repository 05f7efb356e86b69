import type { AgentEvents } from "../agent-events.js";
import { CAMERA_EVENT_KINDS } from "../camera-events/normalise.js";
import type { EventLog } from "../events/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store } from "../store/index.js";
import type { Outbox, OutgoingMessage } from "./outbox.js";
import {
  accessBody,
  auditBody,
  cameraInfoBody,
  cameraStateBody,
  eventBody,
  type RecordingState,
  segmentBody,
} from "./bodies.js";
import type { SiteTopics } from "../protocol/index.js";

const FEED_BATCH = 500;

export interface UplinkPublishersDeps {
  store: Pick<Store, "repos" | "transaction">;
  outbox: Outbox;
  topics: SiteTopics;
  bus: EventBus<AgentEvents>;
  events: EventLog;
  logger: Logger;
  /** Cameras the recorder records (the others are reported with recording "off"). */
  recording: boolean;
  /** The box certificate (PEM), sent with signed audit reports. */
  certificate: () => string | undefined;
  now?: () => number;
}

/**
 * Turns what happens on the box into upstream messages. Events and segment-index entries are
 * copied from their tables through a cursor that advances in the same commit as the outbox
 * rows, so a crash anywhere neither loses nor repeats one; inventory, state and audit are
 * retained "latest" messages, superseded in the outbox while unsent.
 */
export class UplinkPublishers implements Component {
  readonly name = "uplink-publishers";
  #unsubscribe: (() => void)[] = [];
  readonly #recording = new Map<string, RecordingState>();
  readonly #lastError = new Map<string, string | null>();
  /** The last event of the commit the events feed was last copied in. */
  #drainedThrough = 0;

  constructor(private readonly deps: UplinkPublishersDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { bus } = this.deps;
    this.#unsubscribe = [
      // In the event's own commit: stored and queued upstream with one disk sync, not two. One
      // that fails is copied with the next event (the cursor did not move).
      this.deps.events.alongside((events) => {
        this.drainEvents();
        this.#drainedThrough = events.at(-1)?.id ?? this.#drainedThrough;
      }),
      bus.on("boxEvent", ({ id, cameraId, kind, detail }) => {
        // Stored by another EventLog (its own commit; the bus hears of events in id order):
        // copied now.
        if (id > this.#drainedThrough) this.#guard("events", () => this.drainEvents());
        if (cameraId !== null) this.#noteProblem(cameraId, kind, detail);
      }),
      bus.on("segmentClosed", () => this.#guard("segments", () => this.drainSegments())),
      bus.on("accessLogged", () => this.#guard("access", () => this.drainAccess())),
      bus.on("cameraDiscovered", ({ cameraId }) =>
        this.#guard("info", () => this.#camera(cameraId)),
      ),
      bus.on("cameraChanged", ({ cameraId }) => this.#guard("info", () => this.#camera(cameraId))),
      bus.on("cameraOffline", ({ cameraId }) => this.#guard("state", () => this.#state(cameraId))),
      bus.on("recorderState", ({ cameraId, state }) => {
        if (this.#recording.get(cameraId) === state) return;
        this.#recording.set(cameraId, state);
        this.#guard("state", () => this.#state(cameraId));
      }),
      bus.on("auditCompleted", ({ cameraId }) => this.#guard("audit", () => this.#audit(cameraId))),
      bus.on("uplinkState", ({ connected, broker, error, stopping }) => {
        if (connected) {
          this.#guard("drops", () => this.reportDrops());
          // Entries the CLI appended (exports, locks) while the agent ran.
          this.#guard("access", () => this.drainAccess());
        } else if (!stopping)
          this.deps.events.record("uplink_down", null, { broker, error: error ?? null });
      }),
    ];
    this.drainEvents();
    this.drainSegments();
    this.drainAccess();
    this.deps.outbox.put(this.#inventory());
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
  }

  /** Reports messages the outbox bound pushed out, as one event (sent once the link is back). */
  reportDrops(): void {
    const { store, events } = this.deps;
    const drops = store.transaction(() => store.repos.outbox.takeDrops());
    if (!drops) return;
    events.record("outbox_dropped", null, {
      messages: drops.messages,
      bytes: drops.bytes,
      from: new Date(drops.firstMs).toISOString(),
      to: new Date(drops.lastMs).toISOString(),
    });
  }

  drainEvents(): void {
    const { repos } = this.deps.store;
    this.#drain(
      "events",
      () => repos.events.lastId(),
      (after) => repos.events.after(after, FEED_BATCH),
      (event) => ({
        topic: this.deps.topics.events(event.cameraId),
        family: "events",
        body: eventBody(
          event,
          event.cameraId !== null && CAMERA_EVENT_KINDS.includes(event.kind)
            ? repos.eventWindows.segmentsOf(event.id)
            : undefined,
        ),
      }),
    );
  }

  drainSegments(): void {
    const { repos } = this.deps.store;
    this.#drain(
      "segments",
      () => repos.segments.lastId(),
      (after) => repos.segments.after(after, FEED_BATCH),
      (segment) => ({
        topic: this.deps.topics.camera(segment.cameraId, "segments"),
        family: "segments",
        body: segmentBody(segment, repos.eventWindows.eventsOf(segment.id)),
      }),
    );
  }

  drainAccess(): void {
    const { repos } = this.deps.store;
    this.#drain(
      "access",
      () => repos.accessLog.lastSeq(),
      (after) =>
        repos.accessLog.after(after, FEED_BATCH).map((entry) => ({ ...entry, id: entry.seq })),
      (entry) => ({
        topic: this.deps.topics.box("access"),
        family: "access",
        body: accessBody(entry),
      }),
    );
  }

  /**
   * Copies a table's new rows into the outbox. A feed seen for the first time starts at the
   * table's end: a box joining the uplink does not flood it with its history.
   */
  #drain<T extends { id: number }>(
    feed: string,
    lastId: () => number,
    after: (id: number) => T[],
    toMessage: (row: T) => OutgoingMessage,
  ): void {
    const { store, outbox } = this.deps;
    const { repos } = store;
    let copied = 0;
    for (;;) {
      const batch = store.transaction(() => {
        const cursor = repos.outbox.cursor(feed);
        if (cursor === undefined) {
          repos.outbox.setCursor(feed, lastId());
          return 0;
        }
        const rows = after(cursor);
        const last = rows.at(-1);
        if (!last) return 0;
        repos.outbox.enqueueMany(outbox.encode(rows.map(toMessage)), outbox.bounds);
        repos.outbox.setCursor(feed, last.id);
        return rows.length;
      });
      copied += batch;
      if (batch < FEED_BATCH) break;
    }
    if (copied > 0) outbox.notify(copied);
  }

  #inventory(): OutgoingMessage[] {
    const cameras = this.deps.store.repos.cameras.list();
    return cameras.flatMap((camera) => this.#cameraMessages(camera.id));
  }

  #cameraMessages(cameraId: string): OutgoingMessage[] {
    return [this.#infoMessage(cameraId), this.#stateMessage(cameraId)].flatMap((m) => m ?? []);
  }

  /** A camera found or changed: its inventory record and its reachability may both be new. */
  #camera(cameraId: string): void {
    this.deps.outbox.put(this.#cameraMessages(cameraId));
  }

  #state(cameraId: string): void {
    const message = this.#stateMessage(cameraId);
    if (message) this.deps.outbox.put([message]);
  }

  #audit(cameraId: string): void {
    const [latest] = this.deps.store.repos.auditReports.latest(cameraId);
    if (!latest) return;
    this.deps.outbox.put([
      {
        topic: this.deps.topics.camera(cameraId, "audit"),
        family: "audit",
        body: auditBody(latest, this.deps.certificate()),
        retain: true,
      },
    ]);
  }

  #infoMessage(cameraId: string): OutgoingMessage | undefined {
    const camera = this.deps.store.repos.cameras.get(cameraId);
    if (!camera) return undefined;
    return {
      topic: this.deps.topics.camera(cameraId, "info"),
      family: "info",
      body: cameraInfoBody(camera),
      retain: true,
    };
  }

  #stateMessage(cameraId: string): OutgoingMessage | undefined {
    const camera = this.deps.store.repos.cameras.get(cameraId);
    if (!camera) return undefined;
    const recording =
      this.deps.recording && camera.enabled ? (this.#recording.get(cameraId) ?? "starting") : "off";
    return {
      topic: this.deps.topics.camera(cameraId, "state"),
      family: "state",
      retain: true,
      body: cameraStateBody({
        cameraId,
        reachable: camera.reachable,
        recording,
        lastError: this.#lastError.get(cameraId) ?? null,
        tsMs: (this.deps.now ?? Date.now)(),
      }),
    };
  }

  /** The camera's last recording problem, shown in its state until recording resumes. */
  #noteProblem(cameraId: string, kind: string, detail: Record<string, unknown>): void {
    if (kind === "camera_offline" || kind === "recording_restarted") {
      const reason = detail["reason"];
      this.#lastError.set(cameraId, `${kind}: ${typeof reason === "string" ? reason : "unknown"}`);
    } else if (kind === "recording_resumed") {
      this.#lastError.delete(cameraId);
    }
  }

  #guard(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.deps.logger.error({ err: error, what }, "could not queue an upstream message");
    }
  }
}
