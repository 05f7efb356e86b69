import { execFile } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import type { SegmentRecord, SegmentRepository } from "../store/index.js";
import { writeFileAtomic } from "../util/files.js";
import { concatScript, type ExportPart, partPath, planParts, recordedMs } from "./export-parts.js";
import { GAP_TOLERANCE_MS } from "./gaps.js";
import { type MediaFacts, probeMedia, videoSpan } from "./media-probe.js";
import { hashFile } from "./segment-files.js";

const run = promisify(execFile);

export class ExportError extends CamgateError {}

export interface ExportRequest {
  ffmpeg: string;
  ffprobe: string;
  cameraId: string;
  fromMs: number;
  toMs: number;
  output: string;
}

/** One MP4 of an export: a run of segments of one kind. */
export interface ExportedPart {
  path: string;
  bytes: number;
  sha256: string;
  /** The wall-clock span the part covers, gaps included. */
  from: string;
  to: string;
  /** What the MP4 holds, as ffprobe read it before the export was reported. */
  media: {
    codec: string;
    tag: string | null;
    width: number | null;
    height: number | null;
    /** The audio stream's codec (aac), or null when the part was recorded without audio. */
    audio: string | null;
  };
  /** Seconds of the MP4's timeline, of wall time it spans, and of video recorded in that span. */
  durationSec: number;
  spanSec: number;
  recordedSec: number;
  /** Ids of the segments it is made of. */
  segments: number[];
}

export interface ExportGap {
  from: string;
  to: string;
  seconds: number;
  /** The part whose timeline keeps the gap (the picture holds), and where in it; null between parts. */
  part: number | null;
  atSec: number | null;
}

export interface ExportResult {
  schema: 2;
  cameraId: string;
  from: string;
  to: string;
  /**
   * Gaps in the recording are kept: inside a part they are time in the MP4's timeline (the last
   * picture holds), so a part's clock stays on wall time; a gap over 10 minutes ends a part.
   * Every gap is listed.
   */
  gapPolicy: "kept";
  parts: ExportedPart[];
  gaps: ExportGap[];
  /** Sums over the parts. */
  durationSec: number;
  recordedSec: number;
  segments: {
    id: number;
    part: number;
    path: string;
    start: string;
    end: string;
    bytes: number;
    sha256: string;
  }[];
}

/**
 * The sample entry tag an HEVC track gets: `hvc1` (parameter sets in the sample entry) is what
 * Apple's players and most browsers accept; ffmpeg's default for copied HEVC is `hev1`.
 */
const TAGS: Readonly<Record<string, string>> = { hevc: "hvc1", h264: "avc1" };

const iso = (ms: number) => new Date(ms).toISOString();

/** A message for the technician in English, then in Vietnamese. */
function bilingual(en: string, vi: string): string {
  return `${en}\n${vi}`;
}

/**
 * Why the MP4 ffmpeg wrote is not what was asked (in English and Vietnamese), if it is not: it
 * must hold a video stream with frames, lasting the wall time of its span within one segment
 * (the longest of the part). ffmpeg exits 0 with an MP4 without a stream when what it joins has
 * broken timestamps: that is a failure, not an export.
 */
function wrongOutput(
  facts: MediaFacts,
  spanMs: number,
  segments: readonly SegmentRecord[],
): [string, string] | undefined {
  if (!facts.video) return ["it holds no video stream", "tệp không có luồng video"];
  if (!facts.playable) return ["it holds no frames", "tệp không có khung hình nào"];
  const audio = segments.find((s) => s.audioCodec !== null)?.audioCodec;
  if (audio && !facts.audioCodec)
    return [`it lost the recorded audio (${audio})`, `tệp mất âm thanh đã ghi (${audio})`];
  const slackMs = Math.max(...segments.map((s) => s.endMs - s.startMs)) + 1000;
  const gotMs = facts.durationSec * 1000;
  if (Math.abs(gotMs - spanMs) <= slackMs) return undefined;
  const [got, want] = [(gotMs / 1000).toFixed(1), (spanMs / 1000).toFixed(1)];
  return [
    `it lasts ${got} s where the recording spans ${want} s`,
    `tệp dài ${got} giây trong khi đoạn ghi kéo dài ${want} giây`,
  ];
}

/**
 * With audio, each segment's video span (first packet to last): audio starts a little before
 * the video in a segment, and the concat demuxer would otherwise lay the next file over the
 * last frames of this one. Without audio, none are needed.
 */
async function videoSpans(
  request: ExportRequest,
  part: ExportPart,
): Promise<Map<number, { startSec: number; endSec: number }> | undefined> {
  if (!part.segments.some((segment) => segment.audioCodec !== null)) return undefined;
  const spans = new Map<number, { startSec: number; endSec: number }>();
  for (const segment of part.segments) {
    const span = await videoSpan(request.ffprobe, segment.path).catch((error: unknown) => {
      throw new ExportError(`segment ${segment.id} cannot be read: ${segment.path}`, {
        cause: error,
      });
    });
    spans.set(segment.id, span);
  }
  return spans;
}

/** Each segment read back and compared with its indexed SHA-256. */
async function verifySources(covering: readonly SegmentRecord[]): Promise<void> {
  for (const segment of covering) {
    const facts = await hashFile(segment.path).catch((error: unknown) => {
      throw new ExportError(`segment ${segment.id} cannot be read: ${segment.path}`, {
        cause: error,
      });
    });
    if (facts.sha256 !== segment.sha256)
      throw new ExportError(
        `segment ${segment.id} (${segment.path}) no longer matches its SHA-256`,
      );
  }
}

interface WrittenPart {
  partial: string;
  path: string;
  facts: MediaFacts;
  startMs: number;
  endMs: number;
  part: ExportPart;
}

/** Joins one part's segments into `partial` without re-encoding, then probes what was written. */
async function writePart(
  request: ExportRequest,
  part: ExportPart,
  work: string,
  paths: { partial: string; path: string },
): Promise<WrittenPart> {
  const first = part.segments[0];
  const last = part.segments.at(-1);
  if (!first || !last) throw new ExportError("an export part without segments");
  const startMs = Math.max(request.fromMs, first.startMs);
  const endMs = Math.min(request.toMs, last.endMs);
  const lengths = new Map<number, number>();
  for (const [index, segment] of part.segments.entries()) {
    const next = part.segments[index + 1];
    if (!next || next.startMs - segment.endMs <= GAP_TOLERANCE_MS) continue;
    const facts = await probeMedia(request.ffprobe, segment.path).catch((error: unknown) => {
      throw new ExportError(`ffprobe could not read segment ${segment.id}`, { cause: error });
    });
    lengths.set(segment.id, facts.durationSec);
  }
  const spans = await videoSpans(request, part);
  const list = join(work, `${basename(paths.partial)}.txt`);
  await writeFile(
    list,
    concatScript(part, (segment) => lengths.get(segment.id), spans),
  );
  const codec = first.videoCodec ?? (await probeMedia(request.ffprobe, first.path)).video?.codec;
  const tag = codec === undefined ? undefined : TAGS[codec];
  // -ss before -i seeks the input to the keyframe at or before the start: copy needs one.
  const args = [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "concat", "-safe", "0", "-ss", ((startMs - first.startMs) / 1000).toFixed(3)],
    ...["-i", list, "-t", ((endMs - startMs) / 1000).toFixed(3)],
    ...["-map", "0:v", "-map", "0:a?", "-c", "copy", ...(tag ? ["-tag:v", tag] : [])],
    ...["-movflags", "+faststart", "-f", "mp4", paths.partial],
  ];
  await run(request.ffmpeg, args, { maxBuffer: 1024 * 1024 }).catch((error: unknown) => {
    const { stderr } = error as { stderr?: string };
    const tail = (typeof stderr === "string" ? stderr : "").slice(-600);
    throw new ExportError(`ffmpeg could not join the segments: ${tail.trim()}`, {
      cause: error,
    });
  });
  const facts = await probeMedia(request.ffprobe, paths.partial);
  const wrong = wrongOutput(facts, endMs - startMs, part.segments);
  if (wrong)
    throw new ExportError(
      bilingual(
        `the export is not what was recorded: ${wrong[0]} (${part.label} from ${iso(startMs)} ` +
          `to ${iso(endMs)}); nothing was written (the recordings of this range may have ` +
          `broken timestamps: camgate recordings list)`,
        `bản xuất không đúng với video đã ghi: ${wrong[1]} (${part.label} từ ${iso(startMs)} ` +
          `đến ${iso(endMs)}); không tệp nào được ghi (dấu thời gian của các đoạn ghi này có ` +
          `thể bị hỏng: camgate recordings list)`,
      ),
    );
  return { ...paths, facts, startMs, endMs, part };
}

/**
 * Exports the segments covering [fromMs, toMs) as MP4 without re-encoding, cut at the keyframes
 * nearest the range: one file per part (a change of codec or picture size, or a gap over 10
 * minutes, begins a new one: \`clip.part1.mp4\`, \`clip.part2.mp4\`...). Gaps inside a part are
 * kept in its timeline. Each segment is checked against its indexed SHA-256 first, each part is
 * probed before anything is reported, and a JSON sidecar lists the parts, their spans, the gaps
 * and the segments, so the export can be traced back to what was recorded.
 */
export async function exportRange(
  segments: SegmentRepository,
  request: ExportRequest,
): Promise<ExportResult> {
  if (!(request.toMs > request.fromMs)) throw new ExportError("--to must be after --from");
  const covering = segments.overlapping(request.cameraId, request.fromMs, request.toMs);
  if (covering.length === 0)
    throw new ExportError(
      bilingual(
        `no recordings of ${request.cameraId} between ${iso(request.fromMs)} and ${iso(request.toMs)}`,
        `không có đoạn ghi nào của ${request.cameraId} từ ${iso(request.fromMs)} đến ${iso(request.toMs)}`,
      ),
    );
  await verifySources(covering);
  const parts = planParts(covering);
  const work = await mkdtemp(join(tmpdir(), "camgate-export-"));
  const written: WrittenPart[] = [];
  try {
    for (const [index, part] of parts.entries()) {
      const path = partPath(request.output, index, parts.length);
      const partial = join(dirname(path), `.${basename(path)}.partial`);
      written.push(
        await writePart(request, part, work, { partial, path }).catch(async (error: unknown) => {
          await rm(partial, { force: true });
          throw error;
        }),
      );
    }
    for (const part of written) await rename(part.partial, part.path);
  } finally {
    for (const part of written) await rm(part.partial, { force: true });
    await rm(work, { recursive: true, force: true });
  }
  const result = await describe(request, written);
  await writeFileAtomic(`${request.output}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** The sidecar: the parts as written, the gaps and where each part keeps them, the sources. */
async function describe(request: ExportRequest, written: WrittenPart[]): Promise<ExportResult> {
  const parts: ExportedPart[] = [];
  const gaps: ExportGap[] = [];
  for (const [index, { path, facts, startMs, endMs, part }] of written.entries()) {
    parts.push({
      path,
      ...(await hashFile(path)),
      from: iso(startMs),
      to: iso(endMs),
      media: {
        codec: facts.video?.codec ?? "",
        tag: facts.video?.tag ?? null,
        width: facts.video?.width ?? null,
        height: facts.video?.height ?? null,
        audio: facts.audioCodec ?? null,
      },
      durationSec: facts.durationSec,
      spanSec: (endMs - startMs) / 1000,
      recordedSec: recordedMs(part.segments, startMs, endMs) / 1000,
      segments: part.segments.map((segment) => segment.id),
    });
    const before = written[index - 1];
    if (before) gaps.push({ ...gapTimes(before.endMs, startMs), part: null, atSec: null });
    for (const gap of part.gaps)
      gaps.push({
        ...gapTimes(gap.fromMs, gap.toMs),
        part: index + 1,
        atSec: (gap.fromMs - startMs) / 1000,
      });
  }
  const first = written[0];
  const last = written.at(-1);
  return {
    schema: 2,
    cameraId: request.cameraId,
    from: iso(first?.startMs ?? request.fromMs),
    to: iso(last?.endMs ?? request.toMs),
    gapPolicy: "kept",
    parts,
    gaps,
    durationSec: parts.reduce((sum, part) => sum + part.durationSec, 0),
    recordedSec: parts.reduce((sum, part) => sum + part.recordedSec, 0),
    segments: written.flatMap(({ part }, index) =>
      part.segments.map((segment) => ({
        id: segment.id,
        part: index + 1,
        path: segment.path,
        start: iso(segment.startMs),
        end: iso(segment.endMs),
        bytes: segment.bytes,
        sha256: segment.sha256 ?? "",
      })),
    ),
  };
}

function gapTimes(fromMs: number, toMs: number) {
  return { from: iso(fromMs), to: iso(toMs), seconds: (toMs - fromMs) / 1000 };
}
