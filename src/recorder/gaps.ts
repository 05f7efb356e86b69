/** Two segments further apart than this are separated by a gap in the recording. */
export const GAP_TOLERANCE_MS = 1000;

export interface Gap {
  fromMs: number;
  toMs: number;
}

/** The holes between consecutive segments (sorted by start), and before/after them in the range. */
export function findGaps(
  segments: readonly { startMs: number; endMs: number }[],
  range: { fromMs: number; toMs: number },
  toleranceMs = GAP_TOLERANCE_MS,
): Gap[] {
  const gaps: Gap[] = [];
  let covered = range.fromMs;
  for (const segment of segments) {
    if (segment.startMs - covered > toleranceMs)
      gaps.push({ fromMs: covered, toMs: segment.startMs });
    covered = Math.max(covered, segment.endMs);
  }
  if (range.toMs - covered > toleranceMs) gaps.push({ fromMs: covered, toMs: range.toMs });
  return gaps;
}
