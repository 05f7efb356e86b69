import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
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

export interface MediaFacts {
  playable: boolean;
  durationSec: number;
}

/** Whether a segment file holds a readable video stream, and how long it lasts. */
export async function probeMedia(ffprobe: string, path: string): Promise<MediaFacts> {
  try {
    const { stdout } = await run(ffprobe, probeArgs(path), {
      maxBuffer: 256 * 1024,
      timeout: 30_000,
    });
    const parsed = JSON.parse(stdout) as {
      streams?: { codec_type?: string }[];
      format?: { duration?: string };
    };
    const durationSec = Number(parsed.format?.duration ?? 0);
    const hasVideo = (parsed.streams ?? []).some((stream) => stream.codec_type === "video");
    return {
      playable: hasVideo && Number.isFinite(durationSec) && durationSec > 0,
      durationSec: Number.isFinite(durationSec) ? durationSec : 0,
    };
  } catch {
    return { playable: false, durationSec: 0 };
  }
}
