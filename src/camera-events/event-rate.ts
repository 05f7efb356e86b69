/**
 * How many events one camera may record per minute unless configured (events.maxPerMinute). A
 * camera is a device on a hostile LAN: one that answers every PullMessages with its limit of
 * notifications would otherwise fill the events table and the uplink. A detector changes state
 * a few times a minute; analytics that report objects may do so ten times a second, and the
 * limit is twice that: a camera's events come in bunches (one reply each pull interval), and a
 * limit at the very rate would cut a steady camera whenever a minute holds one bunch more.
 */
export const EVENTS_PER_MINUTE = 1200;
const WINDOW_MS = 60_000;

/** A fixed one-minute window per camera: admits up to the limit, counts the rest. */
export class EventRate {
  #windowStartMs: number | undefined;
  #admitted = 0;
  #dropped = 0;

  constructor(private readonly limit = EVENTS_PER_MINUTE) {}

  /**
   * Whether one more event may be recorded at `nowMs`. When a new window starts, `onDropped`
   * hears how many the last one turned away (if any).
   */
  admit(nowMs: number, onDropped: (count: number, windowMs: number) => void): boolean {
    if (this.#windowStartMs === undefined || nowMs - this.#windowStartMs >= WINDOW_MS) {
      if (this.#dropped > 0) onDropped(this.#dropped, WINDOW_MS);
      this.#windowStartMs = nowMs;
      this.#admitted = 0;
      this.#dropped = 0;
    }
    if (this.#admitted < this.limit) {
      this.#admitted++;
      return true;
    }
    this.#dropped++;
    return false;
  }

  /** Milliseconds until the window ends while it is full; 0 when more may come now. */
  waitMs(nowMs: number): number {
    if (this.#windowStartMs === undefined || this.#admitted < this.limit) return 0;
    return Math.max(0, this.#windowStartMs + WINDOW_MS - nowMs);
  }
}
