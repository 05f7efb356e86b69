/** Stream time and the box clock may part by this much before the box clock takes over again. */
export const MAX_CLOCK_DRIFT_MS = 2000;

/** Where a segment goes on the box clock, or why its own times cannot be used. */
export type Placement =
  | {
      kind: "placed";
      startMs: number;
      endMs: number;
      /** Why the times were moved from what the stream said, if they were. */
      corrected: string | null;
    }
  | {
      kind: "broken";
      /** The stream time in the file does not fit the box time it took to arrive. */
      reason: string;
      /** Where the file's video arrived, on the box clock: from the end of the one before. */
      fromMs: number;
      toMs: number;
    };

export interface RunTimelineOptions {
  segmentMs: number;
  /** Box clock when ffmpeg was started. */
  runStartMs: number;
  /** The end of the camera's last indexed segment: nothing new may start before it. */
  notBeforeMs: number;
}

/**
 * The box-clock times of one ffmpeg run's segments. ffmpeg reports each closed segment on the
 * stream's own timeline; the box clock anchors that timeline (again whenever they part by more
 * than MAX_CLOCK_DRIFT_MS), so that consecutive segments stay contiguous yet never drift from
 * the time of day. Nothing is taken on trust: a segment that claims more than twice the
 * nominal length and more stream time than box time passed is broken (its timestamps jumped),
 * and no segment starts before the camera's previous one ended.
 */
export class RunTimeline {
  #anchorMs: number | undefined;
  #lastCloseMs: number;
  #notBeforeMs: number;

  constructor(private readonly options: RunTimelineOptions) {
    this.#lastCloseMs = options.runStartMs;
    this.#notBeforeMs = options.notBeforeMs;
  }

  /** Where the last segment placed (or filed after a repair) ends. */
  get notBeforeMs(): number {
    return this.#notBeforeMs;
  }

  /** A segment ffmpeg closed: its stream times and the box-clock instant it was announced. */
  place(entry: { startSec: number; endSec: number }, closedMs: number): Placement {
    const durationMs = (entry.endSec - entry.startSec) * 1000;
    const arrivedMs = closedMs - this.#lastCloseMs;
    const fromMs = Math.max(this.#notBeforeMs, this.#lastCloseMs);
    this.#lastCloseMs = closedMs;
    if (durationMs > 2 * this.options.segmentMs && durationMs > arrivedMs + MAX_CLOCK_DRIFT_MS) {
      // The anchor is stale after a jump: the next segment (of a new run) anchors afresh.
      this.#anchorMs = undefined;
      return {
        kind: "broken",
        reason: `${seconds(durationMs)} s of stream time arrived in ${seconds(arrivedMs)} s`,
        fromMs,
        toMs: Math.max(closedMs, fromMs),
      };
    }
    let anchor = this.#anchorMs ?? closedMs - entry.endSec * 1000;
    if (Math.abs(anchor + entry.endSec * 1000 - closedMs) > MAX_CLOCK_DRIFT_MS)
      anchor = closedMs - entry.endSec * 1000;
    this.#anchorMs = anchor;
    const startMs = Math.round(anchor + entry.startSec * 1000);
    const endMs = Math.round(anchor + entry.endSec * 1000);
    return this.#fitted(startMs, endMs);
  }

  /** A segment whose box-clock start is known (a repaired or recovered file): fitted in. */
  follow(startMs: number, durationMs: number): { startMs: number; endMs: number } {
    const placed = this.#fitted(Math.round(startMs), Math.round(startMs + durationMs));
    return { startMs: placed.startMs, endMs: placed.endMs };
  }

  /**
   * Never before the previous segment's end. A small overlap (the anchor moved back by up to
   * MAX_CLOCK_DRIFT_MS) starts the segment later; a segment that ends before the previous one
   * did (the box clock was stepped back) follows it whole, until the clock catches up.
   */
  #fitted(startMs: number, endMs: number): Placement & { kind: "placed" } {
    const notBefore = this.#notBeforeMs;
    let placed = { startMs, endMs, corrected: null as string | null };
    if (endMs <= notBefore)
      placed = {
        startMs: notBefore,
        endMs: notBefore + (endMs - startMs),
        corrected: `moved ${seconds(notBefore - startMs)} s later: the box clock went back`,
      };
    else if (startMs < notBefore)
      placed = {
        startMs: notBefore,
        endMs,
        corrected: `starts ${seconds(notBefore - startMs)} s later, where the one before ends`,
      };
    this.#notBeforeMs = placed.endMs;
    return { kind: "placed", ...placed };
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
