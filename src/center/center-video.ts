import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { appendFile, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ChunkHeader, ParsedMediaTopic } from "../protocol/index.js";
import { writeFileAtomic } from "../util/files.js";

interface Transfer {
  header: Omit<ChunkHeader, "chunk">;
  site: string;
  camera: string;
  dir: string;
  received: Set<number>;
  duplicates: number;
}

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

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest("hex");
}

/**
 * The center's side of segment forwarding: chunks written in place into `<id>.part` (so order
 * does not matter and a chunk sent twice is written once), the indices received appended to
 * `<id>.part.chunks` (a restart of the center resumes), and the whole checked against the
 * SHA-256 sent with the chunks and the one of the segment index before it becomes `<id>.ts`.
 */
export class CenterVideo {
  readonly #transfers = new Map<string, Transfer>();
  readonly #indexHashes = new Map<string, Map<number, string>>();
  readonly #received: ReceivedSegment[] = [];

  constructor(private readonly siteDir: (siteId: string) => string) {}

  /** The segment index entry, as the center keeps it: the hash a segment must have. */
  noteIndexEntry(siteId: string, cameraId: string, segmentId: number, sha256: string): void {
    this.#indexOf(siteId, cameraId).set(segmentId, sha256);
  }

  received(): readonly ReceivedSegment[] {
    return this.#received;
  }

  /** Keeps one chunk; returns what became of it. */
  async chunk(
    topic: ParsedMediaTopic,
    header: ChunkHeader,
    payload: Buffer,
  ): Promise<"kept" | "duplicate" | "refused" | ReceivedSegment> {
    const dir = join(this.siteDir(topic.siteId), "cameras", topic.cameraId, "video");
    const key = join(dir, String(header.segmentId));
    const transfer = this.#transfers.get(key) ?? (await this.#open(topic, key, dir, header));
    const { chunk: _chunk, ...expected } = header;
    if (JSON.stringify(transfer.header) !== JSON.stringify(expected)) return "refused";
    const length = Math.min(header.chunkBytes, header.bytes - header.chunk * header.chunkBytes);
    if (payload.length !== length) return "refused";
    if (transfer.received.has(header.chunk)) {
      transfer.duplicates++;
      // A late resend of a segment already whole: nothing is missing from it.
      if (transfer.received.size === header.chunks) this.#transfers.delete(key);
      return "duplicate";
    }
    const file = await open(`${key}.part`, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      await file.write(payload, 0, payload.length, header.chunk * header.chunkBytes);
    } finally {
      await file.close();
    }
    transfer.received.add(header.chunk);
    await appendFile(`${key}.part.chunks`, `${header.chunk}\n`);
    if (transfer.received.size < header.chunks) return "kept";
    this.#transfers.delete(key);
    return this.#complete(topic, transfer, key);
  }

  /** Transfers begun and not complete, with the chunks still missing. */
  missing(): MissingChunks[] {
    return [...this.#transfers.values()].map((transfer) => {
      const missing: number[] = [];
      for (let i = 0; i < transfer.header.chunks; i++)
        if (!transfer.received.has(i)) missing.push(i);
      return {
        site: transfer.site,
        camera: transfer.camera,
        segmentId: transfer.header.segmentId,
        chunks: transfer.header.chunks,
        missing,
      };
    });
  }

  async #open(
    topic: ParsedMediaTopic,
    key: string,
    dir: string,
    header: ChunkHeader,
  ): Promise<Transfer> {
    await mkdir(dir, { recursive: true });
    const { chunk: _chunk, ...fixed } = header;
    const saved = await readFile(`${key}.part.json`, "utf8").catch(() => undefined);
    const received = new Set<number>();
    if (saved === undefined) {
      await writeFileAtomic(`${key}.part.json`, JSON.stringify(fixed));
    } else {
      const indices = await readFile(`${key}.part.chunks`, "utf8").catch(() => "");
      for (const line of indices.split("\n")) if (line !== "") received.add(Number(line));
    }
    const transfer: Transfer = {
      header: saved === undefined ? fixed : (JSON.parse(saved) as Transfer["header"]),
      site: topic.siteId,
      camera: topic.cameraId,
      dir,
      received,
      duplicates: 0,
    };
    this.#transfers.set(key, transfer);
    return transfer;
  }

  async #complete(
    topic: ParsedMediaTopic,
    transfer: Transfer,
    key: string,
  ): Promise<ReceivedSegment> {
    const { header } = transfer;
    const actual = await sha256Of(`${key}.part`);
    const indexed = await this.#indexHash(topic.siteId, topic.cameraId, header.segmentId);
    const index = indexed === undefined ? "unknown" : indexed === actual ? "match" : "mismatch";
    const verified = actual === header.sha256 && index !== "mismatch";
    const file = `${key}.${verified ? "ts" : "corrupt"}`;
    await rename(`${key}.part`, file);
    const segment: ReceivedSegment = {
      segmentId: header.segmentId,
      cameraId: topic.cameraId,
      start: header.start,
      end: header.end,
      bytes: header.bytes,
      sha256: actual,
      verified,
      index,
      duplicates: transfer.duplicates,
      file,
      receivedAt: new Date().toISOString(),
    };
    await appendFile(join(transfer.dir, "received.jsonl"), `${JSON.stringify(segment)}\n`);
    // The transfer's bookkeeping goes once the segment is on record.
    await Promise.all(
      [`${key}.part.chunks`, `${key}.part.json`].map((path) => rm(path, { force: true })),
    );
    this.#received.push(segment);
    return segment;
  }

  #indexOf(siteId: string, cameraId: string): Map<number, string> {
    const key = `${siteId}/${cameraId}`;
    let index = this.#indexHashes.get(key);
    if (!index) {
      index = new Map();
      this.#indexHashes.set(key, index);
    }
    return index;
  }

  /** From memory, else from the camera's kept segment index (a center restarted meanwhile). */
  async #indexHash(
    siteId: string,
    cameraId: string,
    segmentId: number,
  ): Promise<string | undefined> {
    const index = this.#indexOf(siteId, cameraId);
    if (!index.has(segmentId)) {
      const path = join(this.siteDir(siteId), "cameras", cameraId, "segments.jsonl");
      const text = await readFile(path, "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (line === "") continue;
        const payload = (JSON.parse(line) as { payload?: { segmentId?: number; sha256?: string } })
          .payload;
        if (typeof payload?.segmentId === "number" && typeof payload.sha256 === "string")
          index.set(payload.segmentId, payload.sha256);
      }
    }
    return index.get(segmentId);
  }
}
