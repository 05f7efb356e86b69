import type { CameraEventEntry, CameraEventRecord, EventLog } from "../events/index.js";

/** How long the events of a reply may wait for those of other cameras' replies. */
export const COMMIT_DELAY_MS = 100;

/**
 * The events of PullMessages replies that arrive close together, stored in one commit. Sixteen
 * busy cameras answer about thirty times a second, and a commit (its disk sync, then the
 * uplink's turn to send what it queued) costs more than the few events in it. A camera's events
 * keep their order; a reply waits at most `delayMs` (0: each is committed as it comes).
 */
export class ReplyCommits {
  #pending: CameraEventRecord[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Pick<EventLog, "recordCameraEvents">,
    private readonly delayMs = COMMIT_DELAY_MS,
  ) {}

  add(cameraId: string, events: readonly CameraEventEntry[]): void {
    if (events.length === 0) return;
    for (const event of events) this.#pending.push({ ...event, cameraId });
    if (this.delayMs <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Commits what waits now (the service does when it stops). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = [];
    this.log.recordCameraEvents(pending);
  }
}
