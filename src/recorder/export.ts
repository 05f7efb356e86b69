import { execFile } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { CamgateError } from "../errors.js";
import type { SegmentRepository } from "../store/index.js";
import { writeFileAtomic } from "../util/files.js";
import { hashFile } from "./segment-files.js";

const run = promisify(execFile);

export class ExportError extends CamgateError {}

export interface ExportRequest {
  ffmpeg: string;
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
  segments: {
    id: number;
    path: string;
    start: string;
    end: string;
    bytes: number;
    sha256: string;
  }[];
}

/** A path as the concat demuxer reads it: single-quoted, with quotes escaped. */
function concatLine(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
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
  const work = await mkdtemp(join(tmpdir(), "camgate-export-"));
  const partial = join(dirname(request.output), `.${basename(request.output)}.partial`);
  try {
    const list = join(work, "segments.txt");
    await writeFile(
      list,
      `ffconcat version 1.0\n${covering.map((s) => concatLine(s.path)).join("\n")}\n`,
    );
    // -ss before -i seeks the input to the keyframe at or before the start: copy needs one.
    const args = [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
      ...["-f", "concat", "-safe", "0", "-ss", ((startMs - first.startMs) / 1000).toFixed(3)],
      ...["-i", list, "-t", ((endMs - startMs) / 1000).toFixed(3)],
      ...["-map", "0:v", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", partial],
    ];
    await run(request.ffmpeg, args, { maxBuffer: 1024 * 1024 }).catch((error: unknown) => {
      const { stderr } = error as { stderr?: string };
      const tail = (typeof stderr === "string" ? stderr : "").slice(-600);
      throw new ExportError(`ffmpeg could not join the segments: ${tail.trim()}`, {
        cause: error,
      });
    });
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
