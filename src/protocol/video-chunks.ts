/**
 * A segment travels as chunks on `cameras/<id>/video/<segmentId>`, each carrying the whole
 * transfer's description in MQTT 5 user properties: the receiver needs nothing else to place
 * a chunk in the file and check the whole.
 */
export interface ChunkHeader {
  segmentId: number;
  /** This chunk's index, from 0. */
  chunk: number;
  /** max(1, ceil(bytes / chunkBytes)): a zero-byte segment is one empty chunk. */
  chunks: number;
  /** Fixed for the whole transfer; every chunk but the last is exactly this long. */
  chunkBytes: number;
  bytes: number;
  sha256: string;
  start: string;
  end: string;
}

export const MAX_CHUNKS = 100_000;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export function chunkCount(bytes: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(bytes / chunkBytes));
}

/** The user properties a chunk is sent with. */
export function chunkProperties(header: Omit<ChunkHeader, "segmentId">): Record<string, string> {
  return {
    chunk: String(header.chunk),
    chunks: String(header.chunks),
    "chunk-bytes": String(header.chunkBytes),
    bytes: String(header.bytes),
    sha256: header.sha256,
    start: header.start,
    end: header.end,
  };
}

const int = (value: unknown, min: number, max: number): number | undefined => {
  if (typeof value !== "string" || !/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
};

/** Reads a chunk's header from its user properties; undefined if anything is off. */
export function parseChunkHeader(
  segmentId: number,
  properties: Record<string, string | string[]> | undefined,
): ChunkHeader | undefined {
  const get = (name: string) => {
    const value = properties?.[name];
    return typeof value === "string" ? value : undefined;
  };
  const chunk = int(get("chunk"), 0, MAX_CHUNKS - 1);
  const chunks = int(get("chunks"), 1, MAX_CHUNKS);
  const chunkBytes = int(get("chunk-bytes"), 1, MAX_CHUNK_BYTES);
  const bytes = int(get("bytes"), 0, MAX_CHUNKS * MAX_CHUNK_BYTES);
  const sha256 = get("sha256");
  const start = get("start");
  const end = get("end");
  if (
    chunk === undefined ||
    chunks === undefined ||
    chunkBytes === undefined ||
    bytes === undefined ||
    chunk >= chunks ||
    chunks !== chunkCount(bytes, chunkBytes) ||
    sha256 === undefined ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    start === undefined ||
    end === undefined ||
    Number.isNaN(Date.parse(start)) ||
    Number.isNaN(Date.parse(end))
  )
    return undefined;
  return { segmentId, chunk, chunks, chunkBytes, bytes, sha256, start, end };
}
