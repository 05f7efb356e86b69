import type { Database } from "better-sqlite3";

/** Lower is more urgent (DESIGN.md section 7: commands and status before video). */
export const OutboxPriority = {
  reply: 0,
  status: 1,
  event: 2,
  inventory: 3,
  audit: 3,
  segmentIndex: 4,
} as const;

export interface OutboxMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
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

/** Messages that must survive restarts and outages; a row leaves only once the broker acked it. */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  enqueue(message: NewOutboxMessage): number {
    const result = this.db
      .prepare(
        `INSERT INTO outbox (topic, payload, qos, retain, priority, properties, created_ms, expires_ms)
         VALUES (@topic, @payload, @qos, @retain, @priority, @properties, @createdMs, @expiresMs)`,
      )
      .run({
        ...message,
        retain: message.retain ? 1 : 0,
        properties: message.properties === null ? null : JSON.stringify(message.properties),
      });
    return Number(result.lastInsertRowid);
  }

  /** Most urgent first, then in the order produced (which keeps per-topic order). */
  peek(limit: number, excludeIds: readonly number[] = []): OutboxMessage[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM outbox WHERE id NOT IN (SELECT value FROM json_each(?))
         ORDER BY priority, id LIMIT ?`,
      )
      .all(JSON.stringify(excludeIds), limit) as OutboxRow[];
    return rows.map((row) => ({
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
    }));
  }

  markAttempt(id: number): void {
    this.db.prepare("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?").run(id);
  }

  ack(id: number): boolean {
    return this.db.prepare("DELETE FROM outbox WHERE id = ?").run(id).changes === 1;
  }

  stats(): { count: number; bytes: number } {
    const row = this.db
      .prepare("SELECT count(*) AS count, coalesce(sum(length(payload)), 0) AS bytes FROM outbox")
      .get() as { count: number; bytes: number };
    return row;
  }
}
