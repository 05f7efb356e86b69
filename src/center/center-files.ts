import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ParsedTopic } from "../protocol/index.js";
import { claim, claimName, release, type WorkerDisk } from "./claims.js";

/** What became of a message: kept now, or already kept (by us or another worker). */
export type KeepOutcome = "kept" | "duplicate";

interface Cursor {
  epoch: string;
  seq: number;
}

/** A msg-id longer than this is not one the box makes: the message is kept without de-dup. */
const MAX_MESSAGE_ID = 128;

/** Splits `<epoch>-<seq>` (the box's outbox id); undefined for anything else. */
export function parseMessageId(id: string): Cursor | undefined {
  const match = /^([0-9a-f]{1,32})-(\d{1,15})$/.exec(id);
  if (!match) return undefined;
  return { epoch: match[1] ?? "", seq: Number(match[2]) };
}

/**
 * What the reference center keeps, per site: retained state as one JSON file per topic
 * (`status.json`, `cameras/<id>/info.json`...), newest message id first; everything else as
 * JSON lines per topic family (`events.jsonl`, `cameras/<id>/segments.jsonl`...), each message
 * once by its msg-id, whichever worker it reached and however often the broker or the box sent
 * it. The files are the only state: a worker killed and started again, or several workers on one
 * directory, read it from them.
 */
export class CenterFiles {
  readonly #folders = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly disk: WorkerDisk,
  ) {}

  siteDir(siteId: string): string {
    return join(this.dir, siteId);
  }

  folder(topic: Pick<ParsedTopic, "siteId" | "cameraId">): string {
    return topic.cameraId === null
      ? this.siteDir(topic.siteId)
      : join(this.siteDir(topic.siteId), "cameras", topic.cameraId);
  }

  /** Keeps a message (the record carries its msg-id) once; resolves once it is on disk. */
  async keep(
    topic: ParsedTopic,
    messageId: string | undefined,
    record: Record<string, unknown>,
    retained: boolean,
  ): Promise<KeepOutcome> {
    const id =
      messageId !== undefined && messageId.length <= MAX_MESSAGE_ID ? messageId : undefined;
    const folder = this.folder(topic);
    if (!this.#folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.#folders.add(folder);
    }
    return retained
      ? this.#keepState(join(folder, `${topic.family}.json`), id, record)
      : this.#keepLine(join(folder, `${topic.family}.jsonl`), id, record);
  }

  /**
   * Retained state: the newest wins. A message of the same box database (epoch) with a sequence
   * not above the kept one is a resend or older news; another epoch is a reinstalled box.
   */
  async #keepState(
    file: string,
    id: string | undefined,
    record: Record<string, unknown>,
  ): Promise<KeepOutcome> {
    const incoming = id === undefined ? undefined : parseMessageId(id);
    if (incoming) {
      const kept = await readFile(file, "utf8").then(
        (text) => (JSON.parse(text) as { msgId?: unknown }).msgId,
        () => undefined,
      );
      const current = typeof kept === "string" ? parseMessageId(kept) : undefined;
      if (current && current.epoch === incoming.epoch && incoming.seq <= current.seq)
        return "duplicate";
    }
    await this.disk.scratch.writeAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
    return "kept";
  }

  /**
   * One line per message id. The worker that claims the id appends it; a worker that finds the
   * id in the file, or claimed by another, leaves it (see claim()).
   */
  async #keepLine(
    file: string,
    id: string | undefined,
    record: Record<string, unknown>,
  ): Promise<KeepOutcome> {
    const log = this.disk.logs.of(file);
    if (id === undefined) {
      await log.append(record);
      return "kept";
    }
    const key = `m:${id}`;
    const claimFile = `${file}.${claimName(id)}.claim`;
    if ((await log.get(key)) !== undefined) {
      // A worker killed between its append and its release left its claim; the line is kept,
      // so the claim guards nothing any more (a release by a worker still running is harmless).
      await release(claimFile);
      return "duplicate";
    }
    if ((await claim(claimFile, this.disk.worker)) === "theirs") return "duplicate";
    try {
      // Appended by another worker between our first look and our claim?
      if ((await log.get(key)) !== undefined) return "duplicate";
      await log.append(record);
      return "kept";
    } finally {
      await release(claimFile);
    }
  }
}
