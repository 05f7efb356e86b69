import {
  FfmpegProcess,
  LineRing,
  type RecordingTarget,
  redactForTarget,
} from "../recorder/index.js";
import type { RelayTicket } from "../rtsp-relay/index.js";
import { CameraSnapshotError } from "./errors.js";

export interface FrameGrab {
  ffmpeg: string;
  /** Where ffmpeg reads the camera: a single-use relay URL, the password held by the relay. */
  open: (target: RecordingTarget) => RelayTicket;
  connectTimeoutMs: number;
  /** The whole grab: connecting, waiting for a key frame, encoding it. */
  timeoutMs: number;
  maxBytes: number;
}

/**
 * ffmpeg arguments that decode the first key frame of a stream (only key frames are decoded: the
 * picture is whole, and an ARM box spends little on it) and write it as one JPEG to stdout.
 */
export function frameArgs(input: { input: string; connectTimeoutMs: number }): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    // The relay carries RTSP interleaved over TCP only.
    "-rtsp_transport",
    "tcp",
    // Socket I/O timeout in microseconds.
    "-timeout",
    String(input.connectTimeoutMs * 1000),
    "-skip_frame",
    "nokey",
    "-i",
    input.input,
    "-map",
    "0:v:0",
    "-an",
    "-frames:v",
    "1",
    "-c:v",
    "mjpeg",
    "-q:v",
    "2",
    "-f",
    "image2pipe",
    "pipe:1",
  ];
}

/**
 * A line of ffmpeg's as the technician should read it: the camera's URL where ffmpeg names the
 * relay's (said once, not twice), and no password.
 */
function cameraSide(line: string, relayUrl: string, target: RecordingTarget): string {
  const named = redactForTarget(line, target).split(relayUrl).join(target.displayUrl);
  return named.startsWith(`${target.displayUrl}: `)
    ? named.slice(target.displayUrl.length + 2)
    : named;
}

export function isJpeg(data: Buffer): boolean {
  return (
    data.length >= 4 &&
    data[0] === 0xff &&
    data[1] === 0xd8 &&
    data[data.length - 2] === 0xff &&
    data[data.length - 1] === 0xd9
  );
}

/**
 * One frame of a camera's stream as a JPEG, read by ffmpeg through the RTSP relay: the password
 * never reaches ffmpeg's argv, and the camera cannot redirect it elsewhere.
 */
export async function grabFrame(target: RecordingTarget, grab: FrameGrab): Promise<Buffer> {
  const ticket = grab.open(target);
  const stderr = new LineRing(5);
  const ffmpeg = new FfmpegProcess(
    grab.ffmpeg,
    frameArgs({ input: ticket.url, connectTimeoutMs: grab.connectTimeoutMs }),
    { stdout: "raw", stderr: (line) => stderr.push(cameraSide(line, ticket.url, target)) },
  );
  const chunks: Buffer[] = [];
  let bytes = 0;
  let stopped: string | undefined;
  ffmpeg.output?.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes <= grab.maxBytes) chunks.push(chunk);
    else if (!stopped) {
      stopped = `the frame is larger than ${grab.maxBytes} bytes`;
      ffmpeg.kill();
    }
  });
  const timer = setTimeout(() => {
    stopped ??= `no picture from the stream within ${grab.timeoutMs / 1000} s`;
    ffmpeg.kill();
  }, grab.timeoutMs);
  let exit;
  try {
    exit = await ffmpeg.exited;
  } finally {
    clearTimeout(timer);
    ticket.revoke();
  }
  const why = stderr.last ? `: ${stderr.last}` : "";
  if (stopped) throw new CameraSnapshotError(`${stopped}${why}`);
  if (exit.code !== 0)
    throw new CameraSnapshotError(
      `ffmpeg could not take a frame of ${target.displayUrl}${why || ` (exit ${exit.code ?? exit.signal})`}`,
    );
  const jpeg = Buffer.concat(chunks);
  if (!isJpeg(jpeg))
    throw new CameraSnapshotError(`no frame came out of ${target.displayUrl}${why}`);
  return jpeg;
}
