/**
 * A wake-up call for a worker loop that sleeps until there is something to do. A notify that
 * comes while the worker is busy is kept, so the worker never sleeps through work.
 */
export class WakeUp {
  #pending = false;
  #waiter: (() => void) | undefined;

  notify(): void {
    this.#pending = true;
    this.#waiter?.();
  }

  /** Resolves at the next notify (at once if one came since the last wait), or on abort. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.#pending = false;
        this.#waiter = undefined;
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#waiter = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
