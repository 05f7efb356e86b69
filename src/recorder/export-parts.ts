import { basename, dirname, extname, join } from "node:path";
import type { SegmentRecord } from "../store/index.js";
import { GAP_TOLERANCE_MS } from "./gaps.js";

/**
 * A gap longer than this ends an export's part: an MP4 sample lasting hours is not something
 * players handle well, and no one wants to watch a frozen picture that long.
 */
export const MAX_KEPT_GAP_MS = 10 * 60 * 1000;

/** A hole in the recording inside a part: kept in the MP4's timeline (the picture holds). */
export interface PartGap {
  fromMs: number;
  toMs: number;
}

/** One output file: a run of segments of one kind (codec and picture size), without long gaps. */
export interface ExportPart {
  /** "h264 1280x720", "?" when the segments were never probed. */
  label: string;
  segments: SegmentRecord[];
  gaps: PartGap[];
}

function kindOf(segment: SegmentRecord): string | undefined {
  return segment.videoCodec === null
    ? undefined
    : `${segment.videoCodec} ${segment.width ?? "?"}x${segment.height ?? "?"}` +
        (segment.audioCodec ? ` + ${segment.audioCodec}` : "");
}

/**
 * The range's segments split into parts: a new part where the kind changes (one MP4 track has
 * one sample entry: a second kind would be described by the first's, and strict players refuse
 * or misplay it) or after a gap longer than MAX_KEPT_GAP_MS. A segment whose kind is not known
 * joins its neighbours. Shorter gaps stay inside a part, listed.
 */
export function planParts(covering: readonly SegmentRecord[]): ExportPart[] {
  const parts: ExportPart[] = [];
  for (const segment of covering) {
    const part = parts.at(-1);
    const previous = part?.segments.at(-1);
    const kind = kindOf(segment);
    const gapMs = previous ? segment.startMs - previous.endMs : 0;
    if (
      part &&
      previous &&
      (kind === undefined || kind === part.label) &&
      gapMs <= MAX_KEPT_GAP_MS
    ) {
      if (gapMs > GAP_TOLERANCE_MS)
        part.gaps.push({ fromMs: previous.endMs, toMs: segment.startMs });
      part.segments.push(segment);
    } else parts.push({ label: kind ?? "?", segments: [segment], gaps: [] });
  }
  return parts;
}

/** `clip.mp4` for a single part; `clip.part1.mp4`, `clip.part2.mp4`... for several. */
export function partPath(output: string, index: number, count: number): string {
  if (count === 1) return output;
  const extension = extname(output) || ".mp4";
  const stem = basename(output, extname(output));
  return join(dirname(output), `${stem}.part${index + 1}${extension}`);
}

/** A path as the concat demuxer reads it: single-quoted, with quotes escaped. */
function concatLine(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

/**
 * The concat demuxer's script for a part. A segment followed by a gap declares its length as
 * its own video plus the gap (`durationSec` of it, as ffprobe read it): the next segment's
 * timestamps start that much later, so the MP4 keeps the gap instead of squeezing it out.
 */
export function concatScript(
  part: ExportPart,
  durationSec: (segment: SegmentRecord) => number | undefined,
  videoSpans?: ReadonlyMap<number, { startSec: number; endSec: number }>,
): string {
  const lines = ["ffconcat version 1.0"];
  const seconds = (value: number) => value.toFixed(6);
  for (const [index, segment] of part.segments.entries()) {
    lines.push(concatLine(segment.path));
    // Cut to the video's own span (see videoSpans in export.ts).
    const span = videoSpans?.get(segment.id);
    if (span) lines.push(`inpoint ${seconds(span.startSec)}`, `outpoint ${seconds(span.endSec)}`);
    const next = part.segments[index + 1];
    const gapSec =
      next && next.startMs - segment.endMs > GAP_TOLERANCE_MS
        ? (next.startMs - segment.endMs) / 1000
        : 0;
    if (span) lines.push(`duration ${seconds(span.endSec - span.startSec + gapSec)}`);
    else if (gapSec > 0) {
      const own = durationSec(segment) ?? (segment.endMs - segment.startMs) / 1000;
      lines.push(`duration ${seconds(own + gapSec)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Milliseconds of recorded video a set of segments holds inside [startMs, endMs). */
export function recordedMs(
  segments: readonly SegmentRecord[],
  startMs: number,
  endMs: number,
): number {
  return segments.reduce(
    (sum, s) => sum + Math.max(0, Math.min(s.endMs, endMs) - Math.max(s.startMs, startMs)),
    0,
  );
}
