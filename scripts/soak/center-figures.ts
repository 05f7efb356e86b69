import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ReceivedSegment } from "../../src/center/index.js";
import { CENTER_SITE, type CenterWorld } from "./center-world.js";

/** What reached the center of what the box sent, checked file by file. */
export interface CenterFigures {
  /** Segments the box indexed. */
  segments: number;
  /** ...and sent (the broker acknowledged every chunk). */
  sent: number;
  /** Segments with a file at the center. */
  received: number;
  /** ...whose file has the box's SHA-256 and whose record says verified. */
  verified: number;
  /** Segments on record more than once, plus segment index entries kept more than once. */
  duplicates: number;
  /** Segments the box sent that have no file at the center. */
  lost: number;
  /** Segment index entries (JSON, by msg-id) the box sent and the center does not have. */
  indexLost: number;
  /** Segments whose chunks were written by two workers or more. */
  split: number;
  /** Transfer bookkeeping still on disk (.part, .finishing, claims, temporary files). */
  leftovers: string[];
}

async function jsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

function cameraDir(world: CenterWorld, cameraId: string): string {
  return join(world.centerDir, CENTER_SITE, "cameras", cameraId);
}

/** Segments on record at the center (any worker), by camera. */
export async function receivedRecords(world: CenterWorld): Promise<ReceivedSegment[]> {
  const all: ReceivedSegment[] = [];
  for (const camera of world.cameraIds)
    all.push(
      ...(await jsonLines<ReceivedSegment>(
        join(cameraDir(world, camera), "video", "received.jsonl"),
      )),
    );
  return all;
}

/** Resolves once every segment the box indexed is sent and on record at the center. */
export async function delivered(world: CenterWorld, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const segments = world.boxSegments();
    const onRecord = new Set(
      (await receivedRecords(world)).map((s) => `${s.cameraId}/${s.segmentId}`),
    );
    if (
      segments.every(
        (segment) =>
          segment.state === "forwarded" && onRecord.has(`${segment.cameraId}/${segment.id}`),
      )
    )
      return;
    if (Date.now() > deadline) {
      const waiting = segments.filter((s) => !onRecord.has(`${s.cameraId}/${s.id}`)).length;
      throw new Error(`${waiting} of ${segments.length} segments not at the center in time`);
    }
    await sleep(250);
  }
}

export async function centerFigures(world: CenterWorld): Promise<CenterFigures> {
  const segments = world.boxSegments();
  const records = await receivedRecords(world);
  const figures: CenterFigures = {
    segments: segments.length,
    sent: segments.filter((s) => s.state === "forwarded").length,
    received: 0,
    verified: 0,
    duplicates: 0,
    lost: 0,
    indexLost: 0,
    split: 0,
    leftovers: [],
  };
  const byKey = new Map<string, ReceivedSegment[]>();
  for (const record of records) {
    const key = `${record.cameraId}/${record.segmentId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), record]);
  }
  for (const kept of byKey.values()) {
    figures.duplicates += kept.length - 1;
    if ((kept[0]?.workers.length ?? 0) > 1) figures.split++;
  }
  for (const segment of segments) {
    const file = join(cameraDir(world, segment.cameraId), "video", `${segment.id}.ts`);
    const hash = await sha256(file).catch(() => undefined);
    const record = byKey.get(`${segment.cameraId}/${segment.id}`)?.[0];
    if (hash !== undefined) figures.received++;
    else if (segment.state === "forwarded") figures.lost++;
    if (hash === segment.sha256 && record?.verified === true) figures.verified++;
  }
  for (const camera of world.cameraIds) {
    const index = await jsonLines<{ msgId?: string; payload: { segmentId: number } }>(
      join(cameraDir(world, camera), "segments.jsonl"),
    );
    const kept = new Set(index.map((entry) => entry.payload.segmentId));
    figures.duplicates += index.length - kept.size;
    figures.indexLost += world
      .boxSegments()
      .filter((s) => s.cameraId === camera && !kept.has(s.id)).length;
  }
  figures.leftovers = (await filesUnder(world.centerDir)).filter((path) =>
    /\.(part|part\.chunks|part\.json|finishing|claim|tmp)$/.test(path),
  );
  return figures;
}

export function formatFigures(figures: CenterFigures): string {
  return [
    `segments indexed by the box   ${figures.segments}`,
    `sent by the box               ${figures.sent}`,
    `received at the center        ${figures.received}`,
    `verified (SHA-256)            ${figures.verified}`,
    `duplicates                    ${figures.duplicates}`,
    `lost                          ${figures.lost}`,
    `index entries lost            ${figures.indexLost}`,
    `split between workers         ${figures.split}`,
    `leftover bookkeeping files    ${figures.leftovers.length}`,
  ].join("\n");
}
