import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import type { SegmentMedia } from "../store/index.js";
import { probeArgs } from "./ffmpeg-args.js";
import { FfmpegNotFoundError, findOnPath, isExecutable } from "./ffmpeg-binary.js";

const run = promisify(execFile);

/** ffprobe beside the ffmpeg in use (Debian, static builds), else on PATH. */
export async function locateFfprobe(ffmpegPath: string, env: NodeJS.ProcessEnv): Promise<string> {
  const beside = join(dirname(ffmpegPath), "ffprobe");
  const found = (await isExecutable(beside)) ? beside : await findOnPath("ffprobe", env);
  if (found) return found;
  throw new FfmpegNotFoundError(
    "ffprobe not found beside ffmpeg or on PATH (apt-get install ffmpeg)",
  );
}

/**
 * ffprobe did not finish reading the file: it could not start (EAGAIN, ENOMEM), was stopped at
 * its deadline (a loaded SD card), wrote more than expected, or could not read the file (EIO).
 * This says nothing about the file: it is kept and checked again later.
 */
export class MediaProbeError extends CamgateError {}

export interface VideoFacts {
  /** ffmpeg's codec name: h264, hevc, mpeg4... */
  codec: string;
  /** The container's four-character tag (an MP4 sample entry: avc1, hvc1, hev1), if it has one. */
  tag: string | null;
  width: number | null;
  height: number | null;
}

export interface MediaFacts {
  /** It holds a video stream that lasts: what the index accepts as a segment. */
  playable: boolean;
  durationSec: number;
  /** The first video stream, if any: a stream muxed as data (MJPEG in MPEG-TS) is not one. */
  video: VideoFacts | null;
  /** The first audio stream's codec, if any. */
  audioCodec: string | null;
  /** Streams of any kind: 0 when ffprobe found no container at all. */
  streams: number;
}

export const NOT_MEDIA: MediaFacts = Object.freeze({
  playable: false,
  durationSec: 0,
  video: null,
  audioCodec: null,
  streams: 0,
});

export interface ProbeOptions {
  /** Deadline for one probe; a probe past it is an error, not a verdict. */
  timeoutMs?: number;
}

const PROBE_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 256 * 1024;
/** What ffprobe says when the bytes are not a container it knows: a verdict on the file. */
const INVALID_DATA = /Invalid data found when processing input/;

interface ProbeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    codec_tag_string?: string;
    width?: number;
    height?: number;
  }[];
  format?: { duration?: string };
}

function facts(parsed: ProbeJson): MediaFacts {
  const streams = parsed.streams ?? [];
  const video = streams.find((stream) => stream.codec_type === "video");
  const audio = streams.find((stream) => stream.codec_type === "audio");
  const duration = Number(parsed.format?.duration ?? 0);
  const durationSec = Number.isFinite(duration) && duration > 0 ? duration : 0;
  const dimension = (value: unknown) =>
    typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
  return {
    playable: video !== undefined && durationSec > 0,
    durationSec,
    video: video
      ? {
          codec: String(video.codec_name ?? "unknown").slice(0, 32),
          tag: /^[A-Za-z0-9]{4}$/.test(video.codec_tag_string ?? "")
            ? (video.codec_tag_string ?? null)
            : null,
          width: dimension(video.width),
          height: dimension(video.height),
        }
      : null,
    audioCodec: audio ? String(audio.codec_name ?? "unknown").slice(0, 32) : null,
    streams: streams.length,
  };
}

/**
 * What a segment file holds, as ffprobe read it. Only a probe that ran to its end gives a
 * verdict (the facts, or NOT_MEDIA when ffprobe found no container in the bytes); anything
 * else throws MediaProbeError, and the caller keeps the file.
 */
export async function probeMedia(
  ffprobe: string,
  path: string,
  options: ProbeOptions = {},
): Promise<MediaFacts> {
  let stdout: string;
  try {
    ({ stdout } = await run(ffprobe, probeArgs(path), {
      maxBuffer: MAX_OUTPUT,
      timeout: options.timeoutMs ?? PROBE_TIMEOUT_MS,
      killSignal: "SIGKILL",
    }));
  } catch (error) {
    const failed = error as {
      code?: unknown;
      killed?: boolean;
      signal?: unknown;
      stderr?: unknown;
    };
    const stderr = typeof failed.stderr === "string" ? failed.stderr : "";
    if (failed.code === 1 && !failed.killed && INVALID_DATA.test(stderr)) return NOT_MEDIA;
    const why =
      failed.killed === true
        ? `stopped after ${options.timeoutMs ?? PROBE_TIMEOUT_MS} ms`
        : typeof failed.code === "string"
          ? failed.code
          : `exit ${String(failed.code ?? failed.signal)}: ${stderr.trim().slice(-200)}`;
    throw new MediaProbeError(`ffprobe could not check ${path} (${why})`, { cause: error });
  }
  try {
    return facts(JSON.parse(stdout) as ProbeJson);
  } catch (error) {
    throw new MediaProbeError(`ffprobe wrote something other than JSON for ${path}`, {
      cause: error,
    });
  }
}

/** What the index keeps of a probe. */
export function segmentMedia(facts: MediaFacts): SegmentMedia {
  return {
    videoCodec: facts.video?.codec ?? null,
    width: facts.video?.width ?? null,
    height: facts.video?.height ?? null,
    audioCodec: facts.audioCodec,
  };
}

/**
 * Where a file's video really starts and ends (the first packet's time, the last one's end),
 * from its packets: MPEG-TS durations ffmpeg estimates are off by a frame or two when an audio
 * stream starts before the video, which the concat demuxer then turns into overlapping frames.
 */
export async function videoSpan(
  ffprobe: string,
  path: string,
): Promise<{ startSec: number; endSec: number }> {
  const args = [
    ...["-v", "error", "-select_streams", "v:0"],
    ...["-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", path],
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(ffprobe, args, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: PROBE_TIMEOUT_MS,
      killSignal: "SIGKILL",
    }));
  } catch (error) {
    throw new MediaProbeError(`ffprobe could not list the packets of ${path}`, { cause: error });
  }
  let startSec = Number.POSITIVE_INFINITY;
  let endSec = Number.NEGATIVE_INFINITY;
  for (const line of stdout.split("\n")) {
    // "pts,duration", or a line of side data, or nothing.
    if (!/^\d/.test(line)) continue;
    const [pts, duration] = line.split(",").map(Number);
    if (pts === undefined || !Number.isFinite(pts)) continue;
    startSec = Math.min(startSec, pts);
    endSec = Math.max(
      endSec,
      pts + (duration !== undefined && Number.isFinite(duration) ? duration : 0),
    );
  }
  if (!(endSec > startSec)) throw new MediaProbeError(`${path} holds no timed video packets`);
  return { startSec, endSec };
}

export interface DecodeFacts {
  /** Pictures of the first video stream that decoded. */
  frames: number;
  /** What the decoder complained of (at most the last 600 characters), empty when nothing. */
  errors: string;
}

const FRAME_COUNT = /^frame=(\d{1,12})$/gm;
const NOTHING_TO_DECODE = /Invalid data found when processing input|does not contain any stream/;

/**
 * Decodes a file's first video stream to its end (`ffmpeg -f null`) and counts the pictures:
 * ffprobe reads only the headers, and a segment whose headers are fine may hold nothing that
 * decodes. A decoder that could not run, or not to its end, throws MediaProbeError.
 */
export async function decodeMedia(
  ffmpeg: string,
  path: string,
  options: ProbeOptions = {},
): Promise<DecodeFacts> {
  const args = [
    ...["-nostdin", "-hide_banner", "-v", "error", "-i", path, "-map", "0:v:0?"],
    // The stream's own time base: 1/average frame rate rounds a source that dropped a picture
    // onto repeated ticks, and `errors` would name timestamps that are in fact fine.
    ...["-enc_time_base", "-1", "-f", "null", "-", "-progress", "pipe:1", "-nostats"],
  ];
  try {
    const { stdout, stderr } = await run(ffmpeg, args, {
      maxBuffer: MAX_OUTPUT,
      timeout: options.timeoutMs ?? PROBE_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    const counts = [...stdout.matchAll(FRAME_COUNT)].map((match) => Number(match[1]));
    return { frames: counts.at(-1) ?? 0, errors: stderr.trim().slice(-600) };
  } catch (error) {
    const failed = error as { code?: unknown; killed?: boolean; stderr?: unknown };
    const stderr = typeof failed.stderr === "string" ? failed.stderr : "";
    // ffmpeg ran and found nothing it could read: a verdict on the file.
    if (failed.code === 1 && !failed.killed && NOTHING_TO_DECODE.test(stderr))
      return { frames: 0, errors: stderr.trim().slice(-600) };
    const why = failed.killed === true ? "stopped at its deadline" : String(failed.code);
    throw new MediaProbeError(`ffmpeg could not decode ${path} (${why})`, { cause: error });
  }
}
