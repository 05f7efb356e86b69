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

/** Appends an event to the store and announces it on the bus, in that order. */
export class EventLog {
  constructor(
    private readonly store: Pick<Store, "repos">,
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

  #append(
    tsMs: number,
    kind: string,
    cameraId: string | null,
    detail: Record<string, unknown>,
  ): void {
    try {
      const id = this.store.repos.events.append({ tsMs, cameraId, kind, detail });
      this.bus.emit("boxEvent", { id, tsMs, cameraId, kind, detail });
    } catch (error) {
      // The event is lost, not the work that raised it: a full disk must not stop recording.
      this.logger.error({ err: error, kind, cameraId }, "could not store an event");
    }
  }
}
