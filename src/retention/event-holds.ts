import type { AgentEvents } from "../agent-events.js";
import type { EventsConfig, StorageConfig } from "../config/index.js";
import type { EventLog } from "../events/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { EventWindow, Store } from "../store/index.js";
import { type DiskReader, lockCapBytes, readDisk } from "./quota.js";

const DAY_MS = 24 * 3_600_000;
/** The window of a kind not in events.retain: sent first in `forward: events`, not held. */
export const DEFAULT_EVENT_WINDOW = { preSeconds: 10, postSeconds: 30, days: 0 } as const;
/** Kinds with a default window; camera-other (any vendor topic) only when events.retain says. */
const WINDOWED_KINDS = new Set([
  "motion",
  "tamper",
  "intrusion",
  "line-crossing",
  "digital-input",
  "object",
]);
const CAMERA_KINDS = new Set([...WINDOWED_KINDS, "camera-other"]);
/** Windows released in one pass, at most (the event names the first few). */
const RELEASE_BATCH = 64;
const NAMED_IN_EVENT = 20;
const PRUNE_EVERY_MS = 3_600_000;
const WINDOW_HISTORY_MS = 30 * DAY_MS;

export interface EventHoldsDeps {
  events: EventsConfig;
  storage: StorageConfig;
  store: Pick<Store, "repos">;
  log: EventLog;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  now?: () => number;
  disk?: DiskReader;
}

export interface EventHoldsStatus {
  /** Bytes held by event holds now. */
  heldBytes: number;
  /** Windows whose hold gave way to storage.maxLockedPercent since start. */
  releasedSinceStart: number;
}

/** The window of video around a camera event, or undefined for a kind that has none. */
export function eventWindow(
  retain: EventsConfig["retain"],
  event: AgentEvents["boxEvent"],
): EventWindow | undefined {
  if (event.cameraId === null || !CAMERA_KINDS.has(event.kind)) return undefined;
  const settings =
    retain[event.kind] ?? (WINDOWED_KINDS.has(event.kind) ? DEFAULT_EVENT_WINDOW : undefined);
  if (!settings) return undefined;
  // An interval's end holds it all: from before it started to after it ended.
  const startedAt =
    event.detail["phase"] === "end" ? Date.parse(String(event.detail["startedAt"])) : NaN;
  const fromMs = Number.isFinite(startedAt) ? Math.min(startedAt, event.tsMs) : event.tsMs;
  return {
    eventId: event.id,
    cameraId: event.cameraId,
    kind: event.kind,
    fromMs: fromMs - settings.preSeconds * 1000,
    toMs: event.tsMs + settings.postSeconds * 1000,
    holdUntilMs: settings.days > 0 ? event.tsMs + Math.round(settings.days * DAY_MS) : null,
  };
}

/**
 * Holds the segments around camera events (events.retain) against eviction. Evidence locks and
 * event holds together stay within storage.maxLockedPercent of the quota: past it, the oldest
 * event holds give way first, and an `event_holds_released` event says which.
 */
export class EventHolds implements Component {
  readonly name = "event-holds";
  #unsubscribe: (() => void)[] = [];
  #released = 0;
  #prunedAt = Number.NEGATIVE_INFINITY;
  /** The last event of the commit windows were last opened in. */
  #openedThrough = 0;

  constructor(private readonly deps: EventHoldsDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { bus, logger } = this.deps;
    const guarded = (work: () => void) => () => {
      try {
        work();
      } catch (error) {
        logger.error({ err: error }, "event holds could not be updated");
      }
    };
    this.#unsubscribe = [
      // The window is written in the event's own commit (no disk sync of its own); holds are
      // brought within the cap once the event is stored.
      this.deps.log.alongside((events) => {
        for (const event of events) this.#open(event);
        this.#openedThrough = events.at(-1)?.id ?? this.#openedThrough;
      }),
      bus.on("boxEvent", (event) => {
        // Stored by another EventLog (its own commit; the bus hears of events in id order):
        // its window is opened now.
        if (event.id > this.#openedThrough) guarded(() => this.#open(event))();
        const window = eventWindow(this.deps.events.retain, event);
        if (window && window.holdUntilMs !== null) guarded(() => this.enforce())();
      }),
      bus.on(
        "segmentClosed",
        guarded(() => this.enforce()),
      ),
      bus.on(
        "configReloaded",
        guarded(() => this.enforce()),
      ),
    ];
    this.enforce();
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
  }

  status(): EventHoldsStatus {
    return {
      heldBytes: this.#windows.eventHeldBytes(this.#now()),
      releasedSinceStart: this.#released,
    };
  }

  get #windows() {
    return this.deps.store.repos.eventWindows;
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  #open(event: AgentEvents["boxEvent"]): void {
    const window = eventWindow(this.deps.events.retain, event);
    if (window) this.#windows.open(window);
  }

  /** Releases the oldest event holds until what is held fits storage.maxLockedPercent. */
  enforce(): void {
    const now = this.#now();
    const windows = this.#windows;
    const cap = lockCapBytes(
      this.deps.storage,
      (this.deps.disk ?? readDisk)(this.deps.storage.dir),
    );
    const released: number[] = [];
    let held = windows.heldBytes(now);
    while (held > cap) {
      const oldest = windows.held(now, RELEASE_BATCH);
      if (oldest.length === 0) break;
      // One window at a time: each release may bring the total under the cap.
      for (const window of oldest) {
        windows.release([window], now);
        released.push(window.eventId);
        held = windows.heldBytes(now);
        if (held <= cap) break;
      }
    }
    if (released.length > 0) {
      this.#released += released.length;
      this.deps.log.record("event_holds_released", null, {
        count: released.length,
        eventIds: released.slice(0, NAMED_IN_EVENT),
        heldBytes: held,
        capBytes: cap,
      });
      this.deps.logger.warn(
        { count: released.length, heldBytes: held, capBytes: cap },
        "the oldest event holds gave way to storage.maxLockedPercent",
      );
    }
    if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      while (windows.prune(now - WINDOW_HISTORY_MS, now, 500) === 500);
    }
  }
}
