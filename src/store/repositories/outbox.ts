import type { Database } from "better-sqlite3";
import { StatementCache, withoutDiskSync } from "./statements.js";

/**
 * Lower is more urgent (DESIGN.md section 7): replies, then status and events, then inventory,
 * audit and health, then the segment index. When the outbox is full the least urgent go first.
 */
export const OutboxPriority = {
  reply: 0,
  status: 1,
  event: 2,
  inventory: 3,
  audit: 3,
  health: 3,
  segmentIndex: 4,
} as const;

export interface OutboxMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** A retained message stands for the topic's current state: a newer one replaces it unsent. */
  retain: boolean;
  priority: number;
  properties: Record<string, unknown> | null;
  createdMs: number;
  attempts: number;
  expiresMs: number | null;
}

interface OutboxRow {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: number;
  priority: number;
  properties: string | null;
  created_ms: number;
  attempts: number;
  expires_ms: number | null;
}

export type NewOutboxMessage = Omit<OutboxMessage, "id" | "attempts">;

export interface OutboxBounds {
  maxMessages: number;
  maxBytes: number;
}

/** Messages the bound pushed out since the last report upstream. */
export interface OutboxDrops {
  messages: number;
  bytes: number;
  firstMs: number;
  lastMs: number;
}

function fromRow(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    qos: row.qos,
    retain: row.retain === 1,
    priority: row.priority,
    properties:
      row.properties === null ? null : (JSON.parse(row.properties) as Record<string, unknown>),
    createdMs: row.created_ms,
    attempts: row.attempts,
    expiresMs: row.expires_ms,
  };
}

/**
 * Messages that must survive restarts and outages; a row leaves only once the broker acked it,
 * expired, or was pushed out by the bound (oldest of the least urgent first, and counted).
 */
export class OutboxRepository {
  readonly #statements: StatementCache;

  constructor(private readonly db: Database) {
    this.#statements = new StatementCache(db);
  }

  /** Statements are prepared once: the sender runs these for every message. */
  #sql(text: string) {
    return this.#statements.get(text);
  }

  /** The id of this database's message sequence; ids are unique only together with it. */
  epoch(): string {
    return (this.#sql("SELECT epoch FROM outbox_usage").get() as { epoch: string }).epoch;
  }

  enqueue(message: NewOutboxMessage, bounds?: OutboxBounds): number {
    return this.enqueueMany([message], bounds)[0] ?? 0;
  }

  /** Several messages in one commit; returns their ids in order. */
  enqueueMany(messages: readonly NewOutboxMessage[], bounds?: OutboxBounds): number[] {
    const supersede = this.#sql("DELETE FROM outbox WHERE topic = ? AND retain = 1");
    const insert = this.#sql(
      `INSERT INTO outbox (topic, payload, qos, retain, priority, properties, created_ms, expires_ms)
       VALUES (@topic, @payload, @qos, @retain, @priority, @properties, @createdMs, @expiresMs)`,
    );
    return this.#statements.transaction(() => {
      const ids = messages.map((message) => {
        if (message.retain) supersede.run(message.topic);
        const result = insert.run({
          ...message,
          retain: message.retain ? 1 : 0,
          properties: message.properties === null ? null : JSON.stringify(message.properties),
        });
        return Number(result.lastInsertRowid);
      });
      if (bounds) this.#enforce(bounds, messages.at(-1)?.createdMs ?? Date.now());
      return ids;
    });
  }

  /** Most urgent first, then in the order produced (which keeps per-topic order). */
  peek(limit: number, excludeIds: Iterable<number> = []): OutboxMessage[] {
    const rows = this.#sql(
      `SELECT * FROM outbox WHERE id NOT IN (SELECT value FROM json_each(?))
         ORDER BY priority, id LIMIT ?`,
    ).all(JSON.stringify([...excludeIds]), limit) as OutboxRow[];
    return rows.map(fromRow);
  }

  ack(id: number): boolean {
    return this.ackMany([id]) === 1;
  }

  /** Removes acknowledged (or expired) messages in one commit; returns how many were there. */
  ackMany(ids: readonly number[]): number {
    const remove = this.#sql("DELETE FROM outbox WHERE id = ?");
    // A deletion a power cut takes back only sends the message again (the center drops it).
    return withoutDiskSync(this.#statements, () =>
      this.#statements.transaction(() => ids.reduce((sum, id) => sum + remove.run(id).changes, 0)),
    );
  }

  stats(): { count: number; bytes: number } {
    const row = this.#sql("SELECT messages, bytes FROM outbox_usage").get() as {
      messages: number;
      bytes: number;
    };
    return { count: row.messages, bytes: row.bytes };
  }

  /** Drops not yet reported, or undefined; meant to run in the transaction that reports them. */
  takeDrops(): OutboxDrops | undefined {
    const row = this.#sql(
      `SELECT dropped_messages AS messages, dropped_bytes AS bytes,
                dropped_first_ms AS firstMs, dropped_last_ms AS lastMs FROM outbox_usage`,
    ).get() as { messages: number; bytes: number; firstMs: number | null; lastMs: number | null };
    if (row.messages === 0) return undefined;
    this.#sql(
      `UPDATE outbox_usage SET dropped_messages = 0, dropped_bytes = 0,
           dropped_first_ms = NULL, dropped_last_ms = NULL`,
    ).run();
    return {
      messages: row.messages,
      bytes: row.bytes,
      firstMs: row.firstMs ?? row.lastMs ?? 0,
      lastMs: row.lastMs ?? 0,
    };
  }

  droppedSoFar(): number {
    return (this.#sql("SELECT dropped_messages AS n FROM outbox_usage").get() as { n: number }).n;
  }

  /** The last row id of `feed` copied into the outbox, if the feed was ever started. */
  cursor(feed: string): number | undefined {
    const row = this.#sql("SELECT last_id FROM uplink_cursors WHERE feed = ?").get(feed) as
      { last_id: number } | undefined;
    return row?.last_id;
  }

  setCursor(feed: string, lastId: number): void {
    this.#sql(
      `INSERT INTO uplink_cursors (feed, last_id) VALUES (?, ?)
         ON CONFLICT (feed) DO UPDATE SET last_id = excluded.last_id`,
    ).run(feed, lastId);
  }

  #enforce(bounds: OutboxBounds, nowMs: number): void {
    const oldestLeastUrgent = this.#sql(
      `SELECT id, length(payload) AS bytes FROM outbox
       WHERE priority = (SELECT max(priority) FROM outbox) ORDER BY id LIMIT 64`,
    );
    const remove = this.#sql("DELETE FROM outbox WHERE id = ?");
    const count = this.#sql(
      `UPDATE outbox_usage SET dropped_messages = dropped_messages + ?,
         dropped_bytes = dropped_bytes + ?,
         dropped_first_ms = coalesce(dropped_first_ms, ?), dropped_last_ms = ?`,
    );
    let { count: messages, bytes } = this.stats();
    let droppedMessages = 0;
    let droppedBytes = 0;
    while (messages > bounds.maxMessages || bytes > bounds.maxBytes) {
      const victims = oldestLeastUrgent.all() as { id: number; bytes: number }[];
      if (victims.length === 0) break;
      for (const victim of victims) {
        if (messages <= bounds.maxMessages && bytes <= bounds.maxBytes) break;
        remove.run(victim.id);
        messages -= 1;
        bytes -= victim.bytes;
        droppedMessages += 1;
        droppedBytes += victim.bytes;
      }
    }
    if (droppedMessages > 0) count.run(droppedMessages, droppedBytes, nowMs, nowMs);
  }
}
