import { execFile } from "node:child_process";
import { rename, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import { type MediaFacts, MediaProbeError, probeMedia } from "./media-probe.js";

const run = promisify(execFile);

export class SegmentRepairError extends CamgateError {}

/** A step between consecutive video packets smaller than this is no timestamp jump. */
const MIN_JUMP_SEC = 1;
const TOOL_TIMEOUT_MS = 60_000;

export interface RepairTools {
  ffmpeg: string;
  ffprobe: string;
}

/** The decode timestamps of a file's first video stream, in order (a missing one is NaN). */
async function videoTimestamps(ffprobe: string, path: string): Promise<number[]> {
  try {
    const { stdout } = await run(
      ffprobe,
      [
        ...["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts_time"],
        ...["-of", "csv=p=0", path],
      ],
      { maxBuffer: 8 * 1024 * 1024, timeout: TOOL_TIMEOUT_MS, killSignal: "SIGKILL" },
    );
    return stdout
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => Number(line.split(",")[0]));
  } catch (error) {
    throw new MediaProbeError(`ffprobe could not list the packets of ${path}`, { cause: error });
  }
}

/** Index of the packet after the largest timestamp step, if that step is a jump. */
function jumpIndex(timestamps: readonly number[]): number | undefined {
  let found: number | undefined;
  let largest = MIN_JUMP_SEC;
  let previous: number | undefined;
  for (const [index, dts] of timestamps.entries()) {
    if (!Number.isFinite(dts)) continue;
    if (previous !== undefined && Math.abs(dts - previous) >= largest) {
      largest = Math.abs(dts - previous);
      found = index;
    }
    previous = dts;
  }
  return found;
}

/**
 * A segment whose timestamps jump inside (the camera's clock moved while it was written) keeps
 * its video up to the jump, which is remuxed into the same file (no re-encoding); what follows
 * the jump, less than a keyframe interval, goes. Returns the facts of the file as it is now, or
 * undefined when no jump was found or nothing came before it (the file is then left as it is).
 */
export async function cutAtTimestampJump(
  tools: RepairTools,
  path: string,
): Promise<MediaFacts | undefined> {
  const timestamps = await videoTimestamps(tools.ffprobe, path);
  const jump = jumpIndex(timestamps);
  if (jump === undefined) return undefined;
  const kept = `${path}.cut.ts`;
  try {
    await run(
      tools.ffmpeg,
      [
        ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", path],
        ...["-map", "0", "-c", "copy", "-frames:v", String(jump), "-f", "mpegts", kept],
      ],
      { maxBuffer: 1024 * 1024, timeout: TOOL_TIMEOUT_MS, killSignal: "SIGKILL" },
    );
    const facts = await probeMedia(tools.ffprobe, kept);
    if (!facts.playable) return undefined;
    await rename(kept, path);
    return facts;
  } catch (error) {
    if (error instanceof MediaProbeError) throw error;
    throw new SegmentRepairError(`could not cut ${path} at its timestamp jump`, { cause: error });
  } finally {
    await rm(kept, { force: true });
  }
}
