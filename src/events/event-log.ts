import type { AgentEvents } from "../agent-events.js";
import type { EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store } from "../store/index.js";

/** What the box reports about itself: stored for `status` and diagnostics, emitted for upstream. */
export type BoxEventKind =
  | "camera_offline"
  | "camera_refused"
  | "recording_resumed"
  | "recording_restarted"
  | "recording_discontinuity"
  | "recording_refused"
  | "segment_lost_unforwarded"
  | "storage_over_quota"
  | "storage_quota_restored"
  | "disk_full"
  | "outbox_dropped"
  | "certificate_expiring"
  | "certificate_renewed"
  | "certificate_renewal_failed"
  | "uplink_down"
  | "camera_pending"
  | "camera_identity_changed"
  | "inventory_full"
  | "camera_events_unavailable"
  | "camera_events_resumed"
  | "camera_events_throttled"
  | "event_holds_released"
  | "update_refused"
  | "update_failed"
  | "update_installed"
  | "update_rolled_back"
  | "config_applied"
  | "config_rolled_back";

type StoredEvent = AgentEvents["boxEvent"];

/**
 * What is written with stored events, in their own commit (see EventLog.alongside): the events
 * of one commit together, in order (one camera's PullMessages reply is several).
 */
export type AlongsideWriter = (events: readonly StoredEvent[]) => void;

/** One detection of a camera's, at the time it happened on the box's clock. */
export interface CameraEventEntry {
  tsMs: number;
  kind: string;
  detail: Record<string, unknown>;
}

export type CameraEventRecord = CameraEventEntry & { cameraId: string };

/**
 * Appends an event to the store and announces it on the bus, in that order. What other parts
 * write because of an event (its copy in the outbox, the window of video around it) can go in
 * the event's own commit: one disk sync per event, not one per part.
 */
export class EventLog {
  readonly #alongside = new Set<AlongsideWriter>();

  constructor(
    private readonly store: Pick<Store, "repos" | "transaction">,
    private readonly bus: EventBus<AgentEvents>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(kind: BoxEventKind, cameraId: string | null, detail: Record<string, unknown>): void {
    this.#append([{ tsMs: this.now(), kind, cameraId, detail }]);
  }

  /**
   * What a camera detected (motion, tamper...: see camera-events), at the time it happened on
   * the box's clock; the same table and feed as the box's own events, told apart by kind.
   */
  recordCameraEvent(
    cameraId: string,
    tsMs: number,
    kind: string,
    detail: Record<string, unknown>,
  ): void {
    this.recordCameraEvents([{ cameraId, tsMs, kind, detail }]);
  }

  /**
   * Several camera events (the PullMessages replies that came together) in one commit: one
   * disk sync, and one turn of the uplink, for all of them. The bus hears of each, in order,
   * once they are stored.
   */
  recordCameraEvents(events: readonly CameraEventRecord[]): void {
    if (events.length > 0) this.#append(events);
  }

  /**
   * Runs `writer` for the events of every commit from now on, inside it, before the bus hears of
   * them. A writer that fails is rolled back alone (a savepoint) and logged; the events are
   * stored all the same. Returns the way to stop.
   */
  alongside(writer: AlongsideWriter): () => void {
    this.#alongside.add(writer);
    return () => {
      this.#alongside.delete(writer);
    };
  }

  #append(entries: readonly Omit<StoredEvent, "id">[]): void {
    const { repos } = this.store;
    let stored: StoredEvent[];
    try {
      stored = this.store.transaction(() => {
        const events = entries.map((entry) => ({ id: repos.events.append(entry), ...entry }));
        for (const writer of [...this.#alongside]) this.#write(writer, events);
        return events;
      });
    } catch (error) {
      // The events are lost, not the work that raised them: a full disk must not stop recording.
      const [first] = entries;
      this.logger.error(
        { err: error, kind: first?.kind, cameraId: first?.cameraId, count: entries.length },
        "could not store an event",
      );
      return;
    }
    for (const event of stored) this.bus.emit("boxEvent", event);
  }

  #write(writer: AlongsideWriter, events: readonly StoredEvent[]): void {
    try {
      this.store.transaction(() => writer(events));
    } catch (error) {
      const [first] = events;
      this.logger.error(
        { err: error, kind: first?.kind, cameraId: first?.cameraId, count: events.length },
        "could not write what goes with an event",
      );
    }
  }
}
