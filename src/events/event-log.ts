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

/** What is written with each stored event, in the event's own commit (see EventLog.alongside). */
export type AlongsideWriter = (event: AgentEvents["boxEvent"]) => void;

/**
 * Appends an event to the store and announces it on the bus, in that order. What other parts
 * write because of an event (its copy in the outbox, the window of video around it) can go in
 * the event's own commit: one disk sync per event, not one per part.
 */
export class EventLog {
  readonly #alongside = new Set<AlongsideWriter>();

  constructor(
    private readonly store: Pick<Store, "repos" | "db">,
    private readonly bus: EventBus<AgentEvents>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(kind: BoxEventKind, cameraId: string | null, detail: Record<string, unknown>): void {
    this.#append(this.now(), kind, cameraId, detail);
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
    this.#append(tsMs, kind, cameraId, detail);
  }

  /**
   * Runs `writer` for every event stored from now on, inside the event's transaction, before
   * the bus hears of it. A writer that fails is rolled back alone (a savepoint) and logged; the
   * event is stored all the same. Returns the way to stop.
   */
  alongside(writer: AlongsideWriter): () => void {
    this.#alongside.add(writer);
    return () => {
      this.#alongside.delete(writer);
    };
  }

  #append(
    tsMs: number,
    kind: string,
    cameraId: string | null,
    detail: Record<string, unknown>,
  ): void {
    const { db, repos } = this.store;
    let event: AgentEvents["boxEvent"];
    try {
      event = db.transaction(() => {
        const id = repos.events.append({ tsMs, cameraId, kind, detail });
        const stored = { id, tsMs, cameraId, kind, detail };
        for (const writer of [...this.#alongside]) this.#write(writer, stored);
        return stored;
      })();
    } catch (error) {
      // The event is lost, not the work that raised it: a full disk must not stop recording.
      this.logger.error({ err: error, kind, cameraId }, "could not store an event");
      return;
    }
    this.bus.emit("boxEvent", event);
  }

  #write(writer: AlongsideWriter, event: AgentEvents["boxEvent"]): void {
    try {
      this.store.db.transaction(() => writer(event))();
    } catch (error) {
      this.logger.error(
        { err: error, kind: event.kind, cameraId: event.cameraId },
        "could not write what goes with an event",
      );
    }
  }
}
