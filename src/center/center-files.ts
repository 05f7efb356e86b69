import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/files.js";
import type { ParsedTopic } from "../protocol/index.js";

/** Where a message's id stands against the last one kept for its topic. */
export type Freshness = "new" | "duplicate";

interface Cursor {
  epoch: string;
  seq: number;
}

/** Splits `<epoch>-<seq>` (the box's outbox id); undefined for anything else. */
export function parseMessageId(id: string): Cursor | undefined {
  const match = /^([0-9a-f]{1,32})-(\d{1,15})$/.exec(id);
  if (!match) return undefined;
  return { epoch: match[1] ?? "", seq: Number(match[2]) };
}

/**
 * What the reference center keeps, per site: retained state as one JSON file per topic
 * (`status.json`, `cameras/<id>/info.json`...), everything else as JSON lines per topic family
 * (`events.jsonl`, `cameras/<id>/segments.jsonl`...), and per-topic cursors of message ids so a
 * message resent after a lost PUBACK is kept once.
 */
export class CenterFiles {
  readonly #cursors = new Map<string, Map<string, Cursor>>();

  constructor(private readonly dir: string) {}

  siteDir(siteId: string): string {
    return join(this.dir, siteId);
  }

  async freshness(topic: ParsedTopic, fullTopic: string, messageId: string): Promise<Freshness> {
    const parsed = parseMessageId(messageId);
    if (!parsed) return "new";
    const cursors = await this.#cursorsOf(topic.siteId);
    const last = cursors.get(fullTopic);
    // Another epoch is another database (a reinstalled box): its sequence starts over.
    return last && last.epoch === parsed.epoch && parsed.seq <= last.seq ? "duplicate" : "new";
  }

  async keep(
    topic: ParsedTopic,
    fullTopic: string,
    messageId: string | undefined,
    record: Record<string, unknown>,
    retained: boolean,
  ): Promise<void> {
    const folder =
      topic.cameraId === null
        ? this.siteDir(topic.siteId)
        : join(this.siteDir(topic.siteId), "cameras", topic.cameraId);
    await mkdir(folder, { recursive: true });
    if (retained) {
      await writeFileAtomic(
        join(folder, `${topic.family}.json`),
        `${JSON.stringify(record, null, 2)}\n`,
      );
    } else {
      await appendFile(join(folder, `${topic.family}.jsonl`), `${JSON.stringify(record)}\n`);
    }
    const parsed = messageId === undefined ? undefined : parseMessageId(messageId);
    if (parsed) {
      const cursors = await this.#cursorsOf(topic.siteId);
      cursors.set(fullTopic, parsed);
      await writeFileAtomic(
        join(this.siteDir(topic.siteId), ".cursors.json"),
        JSON.stringify(Object.fromEntries(cursors)),
      );
    }
  }

  async #cursorsOf(siteId: string): Promise<Map<string, Cursor>> {
    let cursors = this.#cursors.get(siteId);
    if (!cursors) {
      const text = await readFile(join(this.siteDir(siteId), ".cursors.json"), "utf8").catch(
        () => "{}",
      );
      cursors = new Map(Object.entries(JSON.parse(text) as Record<string, Cursor>));
      this.#cursors.set(siteId, cursors);
    }
    return cursors;
  }
}
