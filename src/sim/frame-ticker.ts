type FrameListener = (frameNumber: number) => void;

/**
 * One clock for every simulated camera: frame n is due at start + n/fps. It schedules against
 * that ideal time, so timestamps follow real time however late a timer fires; when it falls
 * more than a second behind it skips ahead rather than bursting.
 */
export class FrameTicker {
  readonly #listeners = new Set<FrameListener>();
  #timer: NodeJS.Timeout | undefined;
  #startMs = 0;
  #next = 0;

  constructor(readonly fps: number) {}

  subscribe(listener: FrameListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#timer) return;
    this.#startMs = performance.now();
    this.#next = 0;
    this.#schedule();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const interval = 1000 / this.fps;
    const delay = Math.max(0, this.#startMs + this.#next * interval - performance.now());
    this.#timer = setTimeout(() => {
      const due = Math.floor((performance.now() - this.#startMs) / interval);
      if (due - this.#next > this.fps) this.#next = due;
      while (this.#next <= due) {
        const frame = this.#next++;
        for (const listener of this.#listeners) listener(frame);
      }
      if (this.#timer) this.#schedule();
    }, delay);
  }
}
