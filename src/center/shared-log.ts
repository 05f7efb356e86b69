import { type FileHandle, open } from "node:fs/promises";

/** How much of an existing file a worker reads when it first looks at it. */
const TAIL_BYTES = 1024 * 1024;
/** Keys remembered per file: the de-duplication window. */
export const LOG_WINDOW_KEYS = 4096;
/** Files whose keys are held in memory at once; the least recently used is dropped. */
const OPEN_LOGS = 512;

/**
 * The keys a kept record answers to: `m:<msg-id>` for a message the box numbered, and
 * `s:<segmentId>` (its SHA-256 as value) for a segment index entry or a received segment.
 */
export function recordKeys(record: Record<string, unknown>): [string, string][] {
  const keys: [string, string][] = [];
  if (typeof record["msgId"] === "string") keys.push([`m:${record["msgId"]}`, ""]);
  const payload = record["payload"];
  const segment =
    typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : record;
  if (typeof segment["segmentId"] === "number" && typeof segment["sha256"] === "string")
    keys.push([`s:${segment["segmentId"]}`, segment["sha256"]]);
  return keys;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/**
 * An append-only JSON-lines file that several center workers append to, each reading what the
 * others appended since it last looked. A record is one write of one line, synced before the
 * append returns; a line a crash cut short is skipped, and the next record starts a line of its
 * own. The keys of the last LOG_WINDOW_KEYS entries are held in memory (the 1 MiB tail of the
 * file when a worker first looks at it, then everything appended since).
 */
export class SharedLog {
  /** Bytes of the file already read, up to the end of its last whole line; -1: not read yet. */
  #offset = -1;
  readonly #keys = new Map<string, string>();

  constructor(readonly path: string) {}

  /** The value of `key` if an entry with it is in the window (after reading what is new). */
  async get(key: string): Promise<string | undefined> {
    await this.refresh();
    return this.#keys.get(key);
  }

  async append(record: Record<string, unknown>): Promise<void> {
    const handle = await open(this.path, "a+", 0o644);
    try {
      const { size } = await handle.stat();
      const last = size > 0 ? await readAt(handle, size - 1, 1) : Buffer.from("\n");
      const line = `${last[0] === 0x0a ? "" : "\n"}${JSON.stringify(record)}\n`;
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Reads the whole lines appended since the last look, by any worker. */
  async refresh(): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      let skipFirstLine = false;
      if (this.#offset < 0 || size < this.#offset) {
        // First look, or the file was replaced: start from its tail, on a line boundary.
        this.#keys.clear();
        this.#offset = Math.max(0, size - TAIL_BYTES);
        skipFirstLine = this.#offset > 0;
      }
      if (size === this.#offset) return;
      const buffer = await readAt(handle, this.#offset, size - this.#offset);
      const end = buffer.lastIndexOf(0x0a);
      if (end < 0) return;
      const lines = buffer.subarray(0, end).toString("utf8").split("\n");
      if (skipFirstLine) lines.shift();
      for (const line of lines) this.#index(line);
      this.#offset += end + 1;
    } finally {
      await handle.close();
    }
  }

  #index(line: string): void {
    if (line === "") return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return; // a line a crash cut short
    }
    if (typeof record !== "object" || record === null) return;
    for (const [key, value] of recordKeys(record as Record<string, unknown>)) {
      this.#keys.delete(key);
      this.#keys.set(key, value);
      if (this.#keys.size > LOG_WINDOW_KEYS) {
        const oldest = this.#keys.keys().next().value;
        if (oldest !== undefined) this.#keys.delete(oldest);
      }
    }
  }
}

/** One SharedLog per file, the least recently used dropped past OPEN_LOGS. */
export class SharedLogs {
  readonly #logs = new Map<string, SharedLog>();

  of(path: string): SharedLog {
    let log = this.#logs.get(path);
    if (log) this.#logs.delete(path);
    else log = new SharedLog(path);
    this.#logs.set(path, log);
    if (this.#logs.size > OPEN_LOGS) {
      const oldest = this.#logs.keys().next().value;
      if (oldest !== undefined) this.#logs.delete(oldest);
    }
    return log;
  }
}
