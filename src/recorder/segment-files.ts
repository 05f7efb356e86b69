import { createHash } from "node:crypto";
import { readSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { setImmediate } from "node:timers/promises";
import { basename, join } from "node:path";
import { CamgateError } from "../errors.js";
import type { SegmentMedia, SegmentRecord, SegmentRepository } from "../store/index.js";

export const INCOMING_DIR = ".incoming";
export const SEGMENT_EXTENSION = ".ts";
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Whether a camera id can name its folder (and a folder name can be a camera's). */
export function isCameraFolderName(name: string): boolean {
  return SAFE_ID.test(name);
}

export class SegmentFileError extends CamgateError {}

/** A camera's folder; refuses ids that could leave the storage directory. */
export function cameraDir(storageDir: string, cameraId: string): string {
  if (!isCameraFolderName(cameraId))
    throw new SegmentFileError(`camera id ${JSON.stringify(cameraId)} cannot name a folder`);
  return join(storageDir, cameraId);
}

/** Where ffmpeg writes a camera's open segment; at most one file per run lives here. */
export function incomingDir(storageDir: string, cameraId: string): string {
  return join(cameraDir(storageDir, cameraId), INCOMING_DIR);
}

/**
 * A closed segment's home: `<camera>/<YYYY-MM-DD>/<HH>/<start>_<name>` in UTC, so no folder
 * holds more than an hour of one camera and names sort by time.
 */
export function segmentPath(storageDir: string, cameraId: string, startMs: number, name: string) {
  const iso = new Date(startMs).toISOString(); // 2026-11-23T02:24:51.120Z
  const day = iso.slice(0, 10);
  const hour = iso.slice(11, 13);
  const stamp = iso.replace(/[-:]/g, "").replace(".", "").slice(0, 18); // 20261123T022451120
  return join(cameraDir(storageDir, cameraId), day, hour, `${stamp}_${basename(name)}`);
}

const HASH_READ_BYTES = 1024 * 1024;

/**
 * A read buffer for hashFile that a recorder keeps for its lifetime. A fresh 1 MiB buffer per
 * segment is memory outside V8's heap that V8 answers with a full collection every half minute.
 * Sharing one between cameras is safe: each slice is read and hashed before the next yield.
 */
export function hashScratch(): Buffer {
  return Buffer.allocUnsafeSlow(HASH_READ_BYTES);
}

/**
 * SHA-256 and size of a file, read in slices into one buffer (a segment is never held whole in
 * memory). The slices are read synchronously, yielding to the event loop between them: an
 * asynchronous read fills the buffer on a thread-pool thread, and handing the bytes over made a
 * segment's hash cost a third more CPU than reading it here. A segment that has just
 * closed is in the page cache, so reading a slice takes a fraction of a millisecond.
 */
export async function hashFile(
  path: string,
  buffer = hashScratch(),
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  const file = await open(path, "r");
  let bytes = 0;
  try {
    for (;;) {
      const bytesRead = readSync(file.fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
      await setImmediate();
    }
  } finally {
    await file.close();
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * Moves a closed segment into its place, hashes it and indexes it. The move comes first: a crash
 * before the row is written leaves a complete file that the next start's reconcile indexes.
 */
export async function fileSegment(
  segments: SegmentRepository,
  input: {
    storageDir: string;
    cameraId: string;
    file: string;
    startMs: number;
    endMs: number;
    media?: SegmentMedia | undefined;
  },
  scratch?: Buffer,
): Promise<SegmentRecord> {
  const target = segmentPath(input.storageDir, input.cameraId, input.startMs, input.file);
  const folder = join(target, "..");
  await mkdir(folder, { recursive: true, mode: 0o750 });
  await rename(input.file, target).catch(async (error: NodeJS.ErrnoException) => {
    // The ring buffer removes folders it emptied; it may have taken this one just now.
    if (error.code !== "ENOENT") throw error;
    await mkdir(folder, { recursive: true, mode: 0o750 });
    await rename(input.file, target);
  });
  const { sha256, bytes } = await hashFile(target, scratch);
  return segments.insert({
    cameraId: input.cameraId,
    path: target,
    startMs: input.startMs,
    endMs: input.endMs,
    bytes,
    sha256,
    state: "closed",
    ...input.media,
  });
}
