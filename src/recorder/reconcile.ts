import { lstat, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { EventLog } from "../events/index.js";
import type { Logger } from "../log/index.js";
import type { SegmentRecord, SegmentRepository } from "../store/index.js";
import {
  decodeMedia,
  type MediaFacts,
  MediaProbeError,
  NOT_MEDIA,
  probeMedia,
  segmentMedia,
} from "./media-probe.js";
import {
  fileSegment,
  hashFile,
  INCOMING_DIR,
  isCameraFolderName,
  SEGMENT_EXTENSION,
} from "./segment-files.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const HOUR = /^\d{2}$/;

export interface ReconcileDeps {
  storageDir: string;
  segments: SegmentRepository;
  events: EventLog;
  ffprobe: string;
  /**
   * When given, a file found without a row is indexed only once ffmpeg decoded pictures from it
   * (ffprobe reads headers: a file may have them and nothing that decodes).
   */
  ffmpeg?: string;
  logger: Logger;
  /** Deadline of one ffprobe run (default media-probe's). */
  probeTimeoutMs?: number;
  /**
   * A file found without a row was indexed: announced as any closed segment is, so that its
   * index entry goes upstream before its video (the uplink starts before the recorder).
   */
  onIndexed?: (segment: SegmentRecord) => void;
}

export interface ReconcileReport {
  files: number;
  /** Files without a row that played, now indexed (the segment being written at a crash). */
  indexed: number;
  /** Files without a row that did not play, deleted. */
  removed: number;
  /** Rows whose file is gone, marked evicted or lost. */
  missing: number;
  /** Rows whose file changed size, checked again. */
  rechecked: number;
  /**
   * Files ffprobe could not check (it did not run, or not to its end): kept as they are, rows
   * and all, and checked at the next start.
   */
  unchecked: number;
}

interface FoundFile {
  cameraId: string;
  path: string;
  bytes: number;
  mtimeMs: number;
  incoming: boolean;
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw error;
  });
}

/** The segment files under the storage directory, walking only the layout the recorder writes. */
async function findSegmentFiles(storageDir: string): Promise<Map<string, FoundFile>> {
  const found = new Map<string, FoundFile>();
  const add = async (cameraId: string, dir: string, incoming: boolean) => {
    for (const name of await list(dir)) {
      if (!name.endsWith(SEGMENT_EXTENSION)) continue;
      const path = join(dir, name);
      const stats = await lstat(path);
      if (stats.isFile())
        found.set(path, { cameraId, path, bytes: stats.size, mtimeMs: stats.mtimeMs, incoming });
    }
  };
  for (const cameraId of await list(storageDir)) {
    if (!isCameraFolderName(cameraId)) continue;
    const cameraDir = join(storageDir, cameraId);
    await add(cameraId, join(cameraDir, INCOMING_DIR), true);
    for (const day of (await list(cameraDir)).filter((name) => DAY.test(name)))
      for (const hour of (await list(join(cameraDir, day))).filter((name) => HOUR.test(name)))
        await add(cameraId, join(cameraDir, day, hour), false);
  }
  return found;
}

/**
 * Times for a file found without a row, moved after the indexed segments of its camera it would
 * overlap: recordings of one camera never overlap in the index.
 */
function fitted(segments: SegmentRepository, cameraId: string, startMs: number, endMs: number) {
  const overlapping = segments.overlapping(cameraId, startMs, endMs);
  if (overlapping.length === 0) return { startMs, endMs };
  const after = Math.max(...overlapping.map((row) => row.endMs));
  return { startMs: after, endMs: Math.max(endMs, after + (endMs - startMs)) };
}

/**
 * ffprobe's verdict (and, with `decode`, ffmpeg's: no picture that decodes is no media), or
 * undefined when either could not give one (logged; the file is kept).
 */
async function verdict(
  deps: ReconcileDeps,
  path: string,
  decode = false,
): Promise<MediaFacts | undefined> {
  const options = { timeoutMs: deps.probeTimeoutMs };
  try {
    const facts = await probeMedia(deps.ffprobe, path, options);
    if (!decode || !deps.ffmpeg || !facts.playable) return facts;
    return (await decodeMedia(deps.ffmpeg, path, options)).frames > 0 ? facts : NOT_MEDIA;
  } catch (error) {
    if (!(error instanceof MediaProbeError)) throw error;
    deps.logger.warn(
      { err: error, path },
      "could not check a segment file: kept for the next start",
    );
    return undefined;
  }
}

/**
 * Makes index and disk agree after a crash or power cut: rows whose file is gone are marked,
 * files without a row are indexed when they play and deleted when they do not. Only files
 * without a row are probed, so a start with 100,000 healthy segments costs a directory walk.
 */
export async function reconcileStorage(deps: ReconcileDeps): Promise<ReconcileReport> {
  const { segments, events, logger } = deps;
  const files = await findSegmentFiles(deps.storageDir);
  const report: ReconcileReport = {
    files: files.size,
    indexed: 0,
    removed: 0,
    missing: 0,
    rechecked: 0,
    unchecked: 0,
  };
  const rows: SegmentRecord[] = [...segments.stored()];
  const evicted: number[] = [];
  const lost: number[] = [];
  /** The local copy is gone; unless the center has the segment, it is told of the loss. */
  const markLost = (row: SegmentRecord, reason: string) => {
    lost.push(row.id);
    if (row.state !== "forwarded")
      events.record("segment_lost_unforwarded", row.cameraId, {
        segmentId: row.id,
        startMs: row.startMs,
        endMs: row.endMs,
        bytes: row.bytes,
        reason,
      });
  };
  for (const row of rows) {
    const file = files.get(row.path);
    files.delete(row.path);
    if (!file) {
      // A forwarded segment whose file is missing was evicted just before a crash.
      if (row.state === "forwarded") evicted.push(row.id);
      else markLost(row, "file missing at start");
      continue;
    }
    if (file.bytes === row.bytes) continue;
    const media = await verdict(deps, row.path);
    if (!media) {
      report.unchecked++;
      continue;
    }
    report.rechecked++;
    if (media.playable) {
      const facts = await hashFile(row.path);
      segments.updateFile(row.id, facts.bytes, facts.sha256);
    } else {
      await unlink(row.path).catch(() => undefined);
      markLost(row, "file damaged at start");
    }
  }
  segments.markGone(evicted, "evicted");
  segments.markGone(lost, "lost");
  report.missing = evicted.length + lost.length;

  for (const file of files.values()) {
    const media = segments.findByPath(file.path)
      ? NOT_MEDIA // a row that was evicted or lost: the file is stale
      : await verdict(deps, file.path, true);
    if (!media) {
      report.unchecked++;
      continue;
    }
    if (!media.playable) {
      await unlink(file.path).catch(() => undefined);
      report.removed++;
      continue;
    }
    // The box clock at the last write is the best end time left; the length comes from the file.
    const { startMs, endMs } = fitted(
      segments,
      file.cameraId,
      Math.round(file.mtimeMs - media.durationSec * 1000),
      Math.round(file.mtimeMs),
    );
    let indexed: SegmentRecord;
    if (file.incoming) {
      indexed = await fileSegment(segments, {
        storageDir: deps.storageDir,
        ...file,
        file: file.path,
        startMs,
        endMs,
        media: segmentMedia(media),
      });
    } else {
      const facts = await hashFile(file.path);
      indexed = segments.insert({
        cameraId: file.cameraId,
        path: file.path,
        startMs,
        endMs,
        ...facts,
        state: "closed",
        ...segmentMedia(media),
      });
    }
    report.indexed++;
    deps.onIndexed?.(indexed);
  }
  if (report.indexed + report.removed + report.missing + report.rechecked + report.unchecked > 0)
    logger.info(report, "storage reconciled with the index");
  return report;
}
