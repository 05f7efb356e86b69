export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A run at least this long counts as stable and resets the delay. */
  stableMs: number;
  /** Uniform in [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/**
 * Capped exponential backoff with "equal jitter": each delay is half the exponential step plus a
 * random share of the other half, so a thousand boxes restarting together spread out instead of
 * retrying in lockstep, yet none retries sooner than half the step.
 */
export class Backoff {
  #attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next try, given how long the last run lasted. */
  next(lastRunMs = 0): number {
    if (lastRunMs >= this.options.stableMs) this.#attempt = 0;
    const step = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const random = this.options.random ?? Math.random;
    return Math.round(step / 2 + (step / 2) * random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}
