import { setTimeout as sleep } from "node:timers/promises";

/**
 * The upload cap (`uplink.maxBitsPerSecond`): tokens are bytes, refilled at the cap's rate up to
 * `capacity`. Video waits for its tokens; everything more urgent only draws on them (possibly
 * into debt), so it never waits and video yields the bandwidth it used.
 */
export class TokenBucket {
  readonly #bytesPerSecond: number;
  #tokens: number;
  #refilledAt: number;

  constructor(
    bitsPerSecond: number,
    readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#bytesPerSecond = bitsPerSecond / 8;
    this.#tokens = capacity;
    this.#refilledAt = now();
  }

  /** Bytes that were sent without waiting. */
  draw(bytes: number): void {
    this.#refill();
    this.#tokens -= bytes;
  }

  /** Waits until `bytes` may be sent, then takes them. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    // A message larger than the bucket waits for a full bucket and leaves a debt.
    const needed = Math.min(bytes, this.capacity);
    for (;;) {
      this.#refill();
      if (this.#tokens >= needed) break;
      const waitMs = ((needed - this.#tokens) / this.#bytesPerSecond) * 1000;
      await sleep(Math.max(1, Math.ceil(waitMs)), undefined, { signal });
    }
    this.#tokens -= bytes;
  }

  #refill(): void {
    const now = this.now();
    const earned = ((now - this.#refilledAt) / 1000) * this.#bytesPerSecond;
    this.#tokens = Math.min(this.capacity, this.#tokens + earned);
    this.#refilledAt = now;
  }
}
