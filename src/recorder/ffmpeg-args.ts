import { type AudioPlan, audioArgs } from "./audio-plan.js";

export interface RecordArgsInput {
  /** rtsp:// or rtsps:// URL, credentials included (never shown to a shell, only to execve). */
  input: string;
  transport: "tcp" | "udp";
  segmentSeconds: number;
  connectTimeoutMs: number;
  /** Output pattern with one %06d for the segment number, e.g. `<dir>/<run>-%06d.ts`. */
  outputPattern: string;
  /** What becomes of the camera's audio (default: not recorded). */
  audio?: AudioPlan;
}

/** Reading a camera's RTSP stream; a camera that goes silent ends the process. */
function cameraInput(
  input: { input: string; transport: "tcp" | "udp"; connectTimeoutMs: number },
  logLevel: "warning" | "error",
): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    logLevel,
    "-rtsp_transport",
    input.transport,
    // Socket I/O timeout in microseconds.
    "-timeout",
    String(input.connectTimeoutMs * 1000),
    "-i",
    input.input,
  ];
}

/**
 * ffmpeg's RTSP reader hands over a camera's first picture without a timestamp; the muxer then
 * gave it the second picture's, and moved that one a tick later: every run's first segment began
 * with two pictures 11 µs apart, which an export joining two runs cannot order. The first
 * picture gets the second's time less its own duration (when the parser knows it).
 */
const FIRST_PACKET_TIME = "setts=ts=if(eq(N\\,0)*eq(PTS\\,NOPTS)\\,NEXT_PTS-DURATION\\,TS)";

/**
 * ffmpeg arguments that copy the camera's first video stream, unchanged, into MPEG-TS segments
 * (with its first audio stream copied or encoded to AAC, as the plan says)
 * and write one CSV line per closed segment to stdout (fd 1). MPEG-TS because a file cut short
 * by a power loss is still a valid stream up to its last whole packet; fragmented MP4 would need
 * its last fragment complete. Each picture is written to the file as soon as it is muxed
 * (flush_packets on the segment's own muxer: `-flush_packets` on the command line reaches only
 * the segment muxer, which has no file): without it, a kill -9 lost up to 32 KiB of AVIO buffer,
 * seconds of a low-rate stream. stdin stays open: a 'q' written to it is the clean stop.
 */
export function recordArgs(input: RecordArgsInput): string[] {
  return [
    ...cameraInput(input, "warning"),
    "-map",
    "0:v:0",
    "-c:v",
    "copy",
    "-bsf:v",
    FIRST_PACKET_TIME,
    ...audioArgs(input.audio ?? "none"),
    "-f",
    "segment",
    "-segment_time",
    String(input.segmentSeconds),
    "-segment_format",
    "mpegts",
    "-segment_format_options",
    "flush_packets=1",
    "-segment_list",
    "pipe:1",
    "-segment_list_type",
    "csv",
    "-segment_list_flags",
    "live",
    input.outputPattern,
  ];
}

/**
 * ffmpeg arguments for a live view: the camera's stream copied for `seconds` into fragmented MP4
 * on stdout (a moov up front, then a fragment at least every half second), to be relayed as is.
 */
export function liveArgs(input: {
  input: string;
  transport: "tcp" | "udp";
  connectTimeoutMs: number;
  seconds: number;
}): string[] {
  return [
    ...cameraInput(input, "error"),
    "-t",
    String(input.seconds),
    "-map",
    "0:v:0",
    "-c",
    "copy",
    "-f",
    "mp4",
    "-movflags",
    "frag_keyframe+empty_moov+default_base_moof",
    "-frag_duration",
    "500000",
    "pipe:1",
  ];
}

/** ffprobe arguments that describe a segment file as JSON: its streams (codec, size) and duration. */
export function probeArgs(path: string): string[] {
  return [
    ...[
      "-v",
      "error",
      "-show_entries",
      "format=duration:stream=codec_type,codec_name,codec_tag_string,width,height",
    ],
    ...["-of", "json", path],
  ];
}
