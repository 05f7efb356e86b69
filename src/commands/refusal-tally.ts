import type { AccessEntry } from "../store/index.js";
import type { Logger } from "../log/index.js";

/** Refusals of commands not shown to come from the center, logged one by one in a burst... */
export const REFUSALS_BURST = 20;
/** ...and, past the burst, this many a minute; the rest are counted. */
export const REFUSALS_PER_MINUTE = 6;
/** Counted refusals go into one access-log entry this often (and when the service stops). */
export const REFUSAL_SUMMARY_EVERY_MS = 60_000;

export interface RefusalTallyDeps {
  append: (entry: AccessEntry) => void;
  /** Over the database's budget, no refusal of that kind is logged on its own. */
  overBudget: () => boolean;
  logger: Logger;
  now?: () => number;
}

/**
 * Bounds what junk commands cost: a command refused before it was shown to come from the
 * center (too large, unknown, malformed, unsigned, badly signed, out of its window, busy) is
 * logged and answered on its own only while a token bucket allows (REFUSALS_BURST, then
 * REFUSALS_PER_MINUTE); beyond, it is counted per code, unanswered, and the counts go into one
 * access-log entry a minute. 2,500 junk commands cost a few rows, not a few megabytes.
 */
export class RefusalTally {
  #tokens = REFUSALS_BURST;
  #refilledMs: number | undefined;
  #counts = new Map<string, number>();
  #firstMs = 0;
  #lastMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RefusalTallyDeps) {}

  start(): void {
    this.#timer ??= setInterval(() => this.flush(), REFUSAL_SUMMARY_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** True: log and answer this refusal on its own. False: it was counted for the summary. */
  admit(code: string): boolean {
    const now = this.#now();
    this.#refill(now);
    if (this.#tokens >= 1 && !this.deps.overBudget()) {
      this.#tokens -= 1;
      return true;
    }
    if (this.#counts.size === 0) this.#firstMs = now;
    this.#lastMs = now;
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
    return false;
  }

  /** Appends the counts so far as one access-log entry, if there are any. */
  flush(): void {
    if (this.#counts.size === 0) return;
    const refusals = Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...this.#counts.values()].reduce((sum, n) => sum + n, 0);
    const detail = {
      summary: true,
      total,
      refusals,
      first: new Date(this.#firstMs).toISOString(),
      last: new Date(this.#lastMs).toISOString(),
    };
    this.#counts = new Map();
    this.deps.logger.warn(detail, "commands refused and not answered (too many)");
    try {
      this.deps.append({
        tsMs: this.#now(),
        actor: "center",
        action: "cmd/*",
        target: "box",
        purpose: null,
        result: "refused",
        detail,
      });
    } catch (error) {
      this.deps.logger.error({ err: error }, "could not log the refused commands");
    }
  }

  #refill(now: number): void {
    const since = this.#refilledMs === undefined ? 0 : Math.max(0, now - this.#refilledMs);
    this.#tokens = Math.min(REFUSALS_BURST, this.#tokens + (since * REFUSALS_PER_MINUTE) / 60_000);
    this.#refilledMs = now;
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
