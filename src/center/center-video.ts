import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ChunkHeader, ParsedMediaTopic } from "../protocol/index.js";
import { claim, claimHolder, release, type WorkerDisk } from "./claims.js";

type TransferHeader = Omit<ChunkHeader, "chunk">;

export interface ReceivedSegment {
  segmentId: number;
  cameraId: string;
  start: string;
  end: string;
  bytes: number;
  sha256: string;
  /** The file's hash equals the one sent with the chunks and the one in the segment index. */
  verified: boolean;
  index: "match" | "mismatch" | "unknown";
  /** Chunks that arrived again, already kept (a resend after a lost acknowledgement). */
  duplicates: number;
  /** The center workers that wrote its chunks, and the one that finished it. */
  workers: string[];
  finishedBy: string;
  file: string;
  /** When the last chunk arrived (center clock). */
  receivedAt: string;
}

export interface MissingChunks {
  site: string;
  camera: string;
  segmentId: number;
  chunks: number;
  missing: number[];
}

export type ChunkOutcome = "kept" | "duplicate" | "refused" | ReceivedSegment;

interface ChunkRecord {
  /** Every index received, each once. */
  chunks: Set<number>;
  lines: number;
  workers: Set<string>;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest("hex");
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/** `<index> <worker>` lines; lines a crash cut short, or from elsewhere, are skipped. */
async function readChunkRecord(path: string, chunks: number): Promise<ChunkRecord | undefined> {
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const record: ChunkRecord = { chunks: new Set(), lines: 0, workers: new Set() };
  for (const line of text.split("\n")) {
    const match = /^(\d{1,6})(?: (\S{1,64}))?$/.exec(line);
    const index = Number(match?.[1]);
    if (!match || index >= chunks) continue;
    record.chunks.add(index);
    record.lines++;
    if (match[2] !== undefined) record.workers.add(match[2]);
  }
  return record;
}

/** Appends to a file that must exist already (its absence means the transfer is over). */
async function appendExisting(path: string, text: string, sync: boolean): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
  try {
    await handle.write(text);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * The center's side of segment forwarding, for one worker or several on one directory (a
 * shared subscription hands each worker some chunks of a segment, in any order). The disk is
 * the only state: each chunk is written in place into `<id>.part` at its offset and synced, then
 * its index appended to `<id>.part.chunks` and synced, and only then acknowledged; a chunk sent
 * again is found in that record and not written twice. The worker whose chunk completes the
 * record claims `<id>.finishing` and checks the whole against the SHA-256 sent with the chunks
 * and the one of the segment index; `<id>.part` becomes `<id>.ts` (or `.corrupt`), the segment
 * goes on record in `received.jsonl` once, and the transfer's bookkeeping files go.
 */
export class CenterVideo {
  /** Transfers this worker wrote to, not yet seen finished: for missing(). */
  readonly #open = new Map<string, { site: string; camera: string; header: TransferHeader }>();
  readonly #received: ReceivedSegment[] = [];

  readonly #worker: string;

  constructor(
    private readonly siteDir: (siteId: string) => string,
    private readonly disk: WorkerDisk,
  ) {
    this.#worker = disk.worker;
  }

  /** Segments this worker completed, in order. */
  received(): readonly ReceivedSegment[] {
    return this.#received;
  }

  /** Transfers this worker wrote to and has not seen complete. */
  openTransfers(): number {
    return this.#open.size;
  }

  /** Keeps one chunk; resolves once it is on disk, with what became of it. */
  async chunk(
    topic: ParsedMediaTopic,
    header: ChunkHeader,
    payload: Buffer,
  ): Promise<ChunkOutcome> {
    const { chunk: index, ...fixed } = header;
    const length = Math.min(header.chunkBytes, header.bytes - index * header.chunkBytes);
    if (payload.length !== length) return "refused";
    const dir = join(this.siteDir(topic.siteId), "cameras", topic.cameraId, "video");
    const key = join(dir, String(header.segmentId));
    const finishing = await claimHolder(`${key}.finishing`);
    if (finishing === this.#worker) return this.#finish(topic, key); // our killed run's
    if (finishing !== undefined || (await this.#finished(key))) return this.#late(key);
    const opened = await this.#openTransfer(key, dir, fixed);
    if (opened !== "open") return opened;
    this.#open.set(key, { site: topic.siteId, camera: topic.cameraId, header: fixed });
    let record = await this.#write(key, header, payload);
    if (record === undefined && (await this.#interrupted(key))) {
      // Described, but a file of it is missing (a transfer begun by an older version, or a
      // crash while it was created): made again, then the chunk written.
      await this.#createFiles(key);
      record = await this.#write(key, header, payload);
    }
    if (record === undefined) return this.#late(key); // finished by another worker meanwhile
    if (record.chunks.size < header.chunks) return record.duplicate ? "duplicate" : "kept";
    if ((await claim(`${key}.finishing`, this.#worker)) === "theirs")
      return record.duplicate ? "duplicate" : "kept";
    return this.#finish(topic, key);
  }

  /** Transfers this worker wrote to that are still incomplete, read from disk now. */
  async missing(): Promise<MissingChunks[]> {
    const result: MissingChunks[] = [];
    for (const [key, transfer] of this.#open) {
      const { header } = transfer;
      const record = await readChunkRecord(`${key}.part.chunks`, header.chunks);
      if (!record || (await this.#finished(key))) {
        this.#open.delete(key);
        continue;
      }
      const missing: number[] = [];
      for (let i = 0; i < header.chunks; i++) if (!record.chunks.has(i)) missing.push(i);
      result.push({
        site: transfer.site,
        camera: transfer.camera,
        segmentId: header.segmentId,
        chunks: header.chunks,
        missing,
      });
    }
    return result;
  }

  #finished(key: string): Promise<boolean> {
    return exists(`${key}.ts`).then(async (ts) => ts || exists(`${key}.corrupt`));
  }

  #late(key: string): "duplicate" {
    this.#open.delete(key);
    return "duplicate";
  }

  /**
   * The transfer's description, `<id>.part.json`, created last of its files and atomically, so
   * that its presence means `<id>.part` and `<id>.part.chunks` exist. Every chunk must agree.
   */
  async #openTransfer(
    key: string,
    dir: string,
    header: TransferHeader,
  ): Promise<"open" | "refused" | "duplicate"> {
    const description = JSON.stringify(header);
    let saved = await readFile(`${key}.part.json`, "utf8").catch(() => undefined);
    if (saved === undefined) {
      await mkdir(dir, { recursive: true });
      await this.#createFiles(key);
      if (await this.disk.scratch.createExclusive(`${key}.part.json`, description)) {
        // Finished by another worker between our look and our creation: a late resend.
        if (await this.#finished(key)) {
          await this.#removeBookkeeping(key, true);
          return this.#late(key);
        }
        return "open";
      }
      saved = await readFile(`${key}.part.json`, "utf8");
    }
    return saved === description ? "open" : "refused";
  }

  /** `<id>.part` and `<id>.part.chunks`, left as they are if they exist. */
  async #createFiles(key: string): Promise<void> {
    for (const file of [`${key}.part`, `${key}.part.chunks`])
      await (await open(file, constants.O_WRONLY | constants.O_CREAT, 0o644)).close();
  }

  /** Not finished, and nobody finishing it: the transfer is still open. */
  async #interrupted(key: string): Promise<boolean> {
    return (
      (await claimHolder(`${key}.finishing`)) === undefined &&
      !(await this.#finished(key)) &&
      (await exists(`${key}.part.json`))
    );
  }

  /** Writes the chunk unless recorded already; undefined if the transfer is over. */
  async #write(
    key: string,
    header: ChunkHeader,
    payload: Buffer,
  ): Promise<(ChunkRecord & { duplicate: boolean }) | undefined> {
    const before = await readChunkRecord(`${key}.part.chunks`, header.chunks);
    if (!before) return undefined;
    const line = `${header.chunk} ${this.#worker}\n`;
    if (before.chunks.has(header.chunk)) {
      // Counted, not synced: a duplicate adds nothing the segment needs.
      if (!(await appendExisting(`${key}.part.chunks`, line, false))) return undefined;
      return { ...before, lines: before.lines + 1, duplicate: true };
    }
    let file;
    try {
      file = await open(`${key}.part`, constants.O_RDWR);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      await file.write(payload, 0, payload.length, header.chunk * header.chunkBytes);
      await file.datasync();
    } finally {
      await file.close();
    }
    if (!(await appendExisting(`${key}.part.chunks`, line, true))) return undefined;
    const after = await readChunkRecord(`${key}.part.chunks`, header.chunks);
    return after ? { ...after, duplicate: false } : undefined;
  }

  /**
   * Under our `<id>.finishing` claim; every step can be done again, so a run of ours killed
   * half-way is finished by the next one (the broker hands it the chunk it did not acknowledge).
   */
  async #finish(topic: ParsedMediaTopic, key: string): Promise<ChunkOutcome> {
    const description = await readFile(`${key}.part.json`, "utf8").catch(() => undefined);
    if (description === undefined) {
      // Everything was done but letting go of the claim.
      await release(`${key}.finishing`);
      return this.#late(key);
    }
    const header = JSON.parse(description) as TransferHeader;
    const record = await readChunkRecord(`${key}.part.chunks`, header.chunks);
    const current = (
      await Promise.all(
        [`${key}.part`, `${key}.ts`, `${key}.corrupt`].map(async (f) =>
          (await exists(f)) ? f : "",
        ),
      )
    ).find((f) => f !== "");
    if (current === undefined) {
      // Its data is gone from under us (removed by hand): nothing left to finish.
      await this.#removeBookkeeping(key, false);
      await release(`${key}.finishing`);
      this.#open.delete(key);
      return "refused";
    }
    const actual = await sha256Of(current);
    const indexed = await this.disk.logs
      .of(join(this.siteDir(topic.siteId), "cameras", topic.cameraId, "segments.jsonl"))
      .get(`s:${header.segmentId}`);
    const index = indexed === undefined ? "unknown" : indexed === actual ? "match" : "mismatch";
    const verified = actual === header.sha256 && index !== "mismatch";
    const file = `${key}.${verified ? "ts" : "corrupt"}`;
    if (current !== file) await rename(current, file);
    const segment: ReceivedSegment = {
      segmentId: header.segmentId,
      cameraId: topic.cameraId,
      start: header.start,
      end: header.end,
      bytes: header.bytes,
      sha256: actual,
      verified,
      index,
      duplicates: record ? record.lines - record.chunks.size : 0,
      workers: record ? [...record.workers].sort() : [],
      finishedBy: this.#worker,
      file,
      receivedAt: new Date().toISOString(),
    };
    const received = this.disk.logs.of(join(dirname(key), "received.jsonl"));
    if ((await received.get(`s:${header.segmentId}`)) === undefined)
      await received.append({ ...segment });
    await this.#removeBookkeeping(key, false);
    await release(`${key}.finishing`);
    this.#open.delete(key);
    this.#received.push(segment);
    return segment;
  }

  /** The transfer's files, `<id>.part.json` last: its presence says the others exist. */
  async #removeBookkeeping(key: string, withPart: boolean): Promise<void> {
    const files = [`${key}.part.chunks`, `${key}.part.json`];
    if (withPart) files.unshift(`${key}.part`);
    for (const file of files) await rm(file, { force: true });
  }
}
