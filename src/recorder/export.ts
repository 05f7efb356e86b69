import { execFile } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import type { SegmentRecord, SegmentRepository } from "../store/index.js";
import { writeFileAtomic } from "../util/files.js";
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

export interface ExportResult {
  schema: 1;
  cameraId: string;
  from: string;
  to: string;
  output: { path: string; bytes: number; sha256: string };
  /** What the MP4 holds, as ffprobe read it before the export was reported. */
  media: {
    codec: string;
    tag: string | null;
    width: number | null;
    height: number | null;
    /** The audio stream's codec (aac), or null when the range was recorded without audio. */
    audio: string | null;
  };
  /** Seconds of video in the MP4, and of recordings in the range (gaps are not in either). */
  durationSec: number;
  recordedSec: number;
  segments: {
    id: number;
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

/** Seconds of recorded video a range covers, segment by segment. */
function recordedMs(covering: readonly SegmentRecord[], startMs: number, endMs: number): number {
  return covering.reduce(
    (sum, s) => sum + Math.max(0, Math.min(s.endMs, endMs) - Math.max(s.startMs, startMs)),
    0,
  );
}

/**
 * Whether the MP4 ffmpeg wrote is what was asked: a video stream, frames in it, and a length
 * within one segment (the longest of the range) of the recorded time. ffmpeg exits 0 with an
 * MP4 without a stream when what it joins has broken timestamps: that is a failure, not an export.
 */
function checkOutput(
  facts: MediaFacts,
  expectedMs: number,
  covering: readonly SegmentRecord[],
): string | undefined {
  if (!facts.video) return "it holds no video stream";
  if (!facts.playable) return "it holds no frames";
  const audio = covering.find((s) => s.audioCodec !== null)?.audioCodec;
  if (audio && !facts.audioCodec) return `it lost the recorded audio (${audio})`;
  const slackMs = Math.max(...covering.map((s) => s.endMs - s.startMs)) + 1000;
  const gotMs = facts.durationSec * 1000;
  if (Math.abs(gotMs - expectedMs) > slackMs)
    return `it lasts ${(gotMs / 1000).toFixed(1)} s where ${(expectedMs / 1000).toFixed(1)} s were recorded`;
  return undefined;
}

interface Part {
  label: string;
  startMs: number;
  endMs: number;
}

/**
 * The range's runs of video of one kind (codec, picture size and audio; a segment whose kind is
 * not known joins its neighbours). One MP4 track has one sample entry: a second kind would be
 * described by the first's, and strict players refuse or misplay it.
 */
function parts(covering: readonly SegmentRecord[]): Part[] {
  const found: Part[] = [];
  for (const segment of covering) {
    const last = found.at(-1);
    const label =
      segment.videoCodec === null
        ? undefined
        : `${segment.videoCodec} ${segment.width ?? "?"}x${segment.height ?? "?"}` +
          (segment.audioCodec ? ` + ${segment.audioCodec}` : "");
    if (last && (label === undefined || label === last.label)) last.endMs = segment.endMs;
    else found.push({ label: label ?? "?", startMs: segment.startMs, endMs: segment.endMs });
  }
  return found;
}

/** A path as the concat demuxer reads it: single-quoted, with quotes escaped. */
function concatLine(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

/**
 * The concat list. With audio, each file is cut to its video's own span (inpoint, outpoint,
 * duration): audio starts a little before the video in a segment, and the next file would
 * otherwise be laid over the last frames of this one.
 */
async function concatList(
  ffprobe: string,
  covering: readonly SegmentRecord[],
  withAudio: boolean,
): Promise<string> {
  const lines = ["ffconcat version 1.0"];
  for (const segment of covering) {
    lines.push(concatLine(segment.path));
    if (!withAudio) continue;
    const span = await videoSpan(ffprobe, segment.path).catch((error: unknown) => {
      throw new ExportError(`segment ${segment.id} cannot be read: ${segment.path}`, {
        cause: error,
      });
    });
    const seconds = (value: number) => value.toFixed(6);
    lines.push(
      `inpoint ${seconds(span.startSec)}`,
      `outpoint ${seconds(span.endSec)}`,
      `duration ${seconds(span.endSec - span.startSec)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Joins the segments covering [fromMs, toMs) into one MP4 without re-encoding, cut at the
 * keyframes nearest the range. Each segment is checked against its indexed SHA-256 first, and a
 * JSON sidecar lists them, so the export can be traced back to what was recorded.
 */
export async function exportRange(
  segments: SegmentRepository,
  request: ExportRequest,
): Promise<ExportResult> {
  if (!(request.toMs > request.fromMs)) throw new ExportError("--to must be after --from");
  const covering = segments.overlapping(request.cameraId, request.fromMs, request.toMs);
  const first = covering[0];
  const last = covering.at(-1);
  if (!first || !last) {
    throw new ExportError(
      `no recordings of ${request.cameraId} between ${new Date(request.fromMs).toISOString()} ` +
        `and ${new Date(request.toMs).toISOString()}`,
    );
  }
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
  const startMs = Math.max(request.fromMs, first.startMs);
  const endMs = Math.min(request.toMs, last.endMs);
  const kinds = parts(covering);
  if (kinds.length > 1) {
    const iso = (ms: number) => new Date(ms).toISOString();
    const listed = kinds
      .map((part, index) =>
        index === 0
          ? `${part.label} until ${iso(part.endMs)}`
          : `${part.label} from ${iso(part.startMs)} until ${iso(part.endMs)}`,
      )
      .join(", then ");
    throw new ExportError(
      `the range holds video of ${kinds.length} kinds, which one MP4 cannot hold: ${listed}; ` +
        `export each part with its own --from and --to`,
    );
  }
  const work = await mkdtemp(join(tmpdir(), "camgate-export-"));
  let written: MediaFacts | undefined;
  const partial = join(dirname(request.output), `.${basename(request.output)}.partial`);
  try {
    const list = join(work, "segments.txt");
    const withAudio = covering.some((segment) => segment.audioCodec !== null);
    await writeFile(list, await concatList(request.ffprobe, covering, withAudio));
    const codec = first.videoCodec ?? (await probeMedia(request.ffprobe, first.path)).video?.codec;
    const tag = codec === undefined ? undefined : TAGS[codec];
    // -ss before -i seeks the input to the keyframe at or before the start: copy needs one.
    const args = [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
      ...["-f", "concat", "-safe", "0", "-ss", ((startMs - first.startMs) / 1000).toFixed(3)],
      ...["-i", list, "-t", ((endMs - startMs) / 1000).toFixed(3)],
      ...["-map", "0:v", "-map", "0:a?", "-c", "copy", ...(tag ? ["-tag:v", tag] : [])],
      ...["-movflags", "+faststart", "-f", "mp4", partial],
    ];
    await run(request.ffmpeg, args, { maxBuffer: 1024 * 1024 }).catch((error: unknown) => {
      const { stderr } = error as { stderr?: string };
      const tail = (typeof stderr === "string" ? stderr : "").slice(-600);
      throw new ExportError(`ffmpeg could not join the segments: ${tail.trim()}`, {
        cause: error,
      });
    });
    written = await probeMedia(request.ffprobe, partial);
    const wrong = checkOutput(written, recordedMs(covering, startMs, endMs), covering);
    if (wrong)
      throw new ExportError(
        `the export is not what was recorded: ${wrong}; nothing was written (the recordings ` +
          `of this range may have broken timestamps: camgate recordings list)`,
      );
    await rename(partial, request.output);
  } finally {
    await rm(partial, { force: true });
    await rm(work, { recursive: true, force: true });
  }
  const output = await hashFile(request.output);
  const result: ExportResult = {
    schema: 1,
    cameraId: request.cameraId,
    from: new Date(startMs).toISOString(),
    to: new Date(endMs).toISOString(),
    output: { path: request.output, ...output },
    media: {
      codec: written?.video?.codec ?? "",
      tag: written?.video?.tag ?? null,
      width: written?.video?.width ?? null,
      height: written?.video?.height ?? null,
      audio: written?.audioCodec ?? null,
    },
    durationSec: written?.durationSec ?? 0,
    recordedSec: recordedMs(covering, startMs, endMs) / 1000,
    segments: covering.map((segment) => ({
      id: segment.id,
      path: segment.path,
      start: new Date(segment.startMs).toISOString(),
      end: new Date(segment.endMs).toISOString(),
      bytes: segment.bytes,
      sha256: segment.sha256 ?? "",
    })),
  };
  await writeFileAtomic(`${request.output}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
