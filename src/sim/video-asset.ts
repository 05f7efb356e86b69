import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import { type H264Stream, h264Fmtp, parseH264 } from "./h264.js";
import { type H265Stream, h265Fmtp, parseH265 } from "./h265.js";

const run = promisify(execFile);

export interface VideoAsset {
  /** As the SDP names it. */
  encoding: "H264" | "H265";
  stream: H264Stream | H265Stream;
  /** The SDP's fmtp parameters (the parameter sets). */
  fmtp: string;
  fps: number;
  jpeg: Buffer;
  width: number;
  height: number;
}

export interface VideoAssetOptions {
  ffmpeg: string;
  cacheDir: string;
  /** A video file to serve instead of the generated test pattern. */
  source?: string | undefined;
  width?: number;
  height?: number;
  fps?: number;
  seconds?: number;
  /**
   * Encode at about this bitrate, with moving noise so the encoder has something to spend it
   * on (a real scene costs bits, a test pattern does not). Unset: whatever the pattern needs.
   */
  kbps?: number | undefined;
  /** H.264 (default) or H.265. */
  codec?: "h264" | "h265";
}

export class VideoAssetError extends CamgateError {}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Runs ffmpeg once into a temporary name, then renames, so a cached file is always complete. */
async function produce(ffmpeg: string, target: string, args: string[]): Promise<void> {
  if (await exists(target)) return;
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args, temp], {
      maxBuffer: 1024 * 1024,
    });
  } catch (error) {
    throw new VideoAssetError(`ffmpeg could not prepare ${target}`, { cause: error });
  }
  await rename(temp, target);
}

/**
 * The H.264 clip every simulated camera serves, and its snapshot JPEG: prepared once with
 * ffmpeg (baseline profile, no B-frames, one keyframe per second, a delimiter before each frame)
 * and cached by its parameters.
 */
export async function prepareVideoAsset(options: VideoAssetOptions): Promise<VideoAsset> {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const codec = options.codec ?? "h264";
  const fps = options.fps ?? 10;
  const seconds = options.seconds ?? 10;
  let sourceKey = "testsrc";
  if (options.source) {
    const info = await stat(options.source).catch((error: unknown) => {
      throw new VideoAssetError(`cannot read video ${options.source}`, { cause: error });
    });
    sourceKey = `${options.source}:${info.size}:${info.mtimeMs}`;
  }
  const key = createHash("sha256")
    .update(JSON.stringify([sourceKey, width, height, fps, seconds, options.kbps ?? 0, 1, codec]))
    .digest("hex")
    .slice(0, 16);
  await mkdir(options.cacheDir, { recursive: true });
  const clipPath = join(options.cacheDir, `clip-${key}.${codec}`);
  const jpegPath = join(options.cacheDir, `snapshot-${key}.jpg`);

  const input = options.source
    ? ["-i", options.source, "-t", String(seconds)]
    : ["-f", "lavfi", "-i", `testsrc=size=${width}x${height}:rate=${fps}`, "-t", String(seconds)];
  const scale = `fps=${fps},scale=${width}:${height}`;
  const rate = options.kbps
    ? ["-b:v", `${options.kbps}k`, "-maxrate", `${options.kbps}k`, "-bufsize", `${options.kbps}k`]
    : [];
  const encoder =
    codec === "h265"
      ? [
          ...["-c:v", "libx265", "-preset", "veryfast", "-pix_fmt", "yuv420p"],
          "-x265-params",
          `log-level=error:aud=1:repeat-headers=1:bframes=0:keyint=${fps}:min-keyint=${fps}:scenecut=0`,
          ...["-f", "hevc"],
        ]
      : [
          ...["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline"],
          ...["-pix_fmt", "yuv420p", "-bf", "0", "-g", String(fps), "-keyint_min", String(fps)],
          ...["-sc_threshold", "0", "-x264-params", "aud=1:repeat-headers=1", "-f", "h264"],
        ];
  await produce(options.ffmpeg, clipPath, [
    ...input,
    "-an",
    "-vf",
    options.kbps ? `${scale},noise=alls=40:allf=t` : scale,
    ...rate,
    ...encoder,
  ]);
  await produce(options.ffmpeg, jpegPath, [
    ...input,
    "-vf",
    scale,
    "-frames:v",
    "1",
    "-c:v",
    "mjpeg",
    "-f",
    "image2",
  ]);

  const [clip, jpeg] = await Promise.all([readFile(clipPath), readFile(jpegPath)]);
  try {
    if (codec === "h265") {
      const stream = parseH265(clip);
      return { encoding: "H265", stream, fmtp: h265Fmtp(stream), fps, jpeg, width, height };
    }
    const stream = parseH264(clip);
    return { encoding: "H264", stream, fmtp: h264Fmtp(stream), fps, jpeg, width, height };
  } catch (error) {
    throw new VideoAssetError(`prepared clip ${clipPath} is not usable`, { cause: error });
  }
}
