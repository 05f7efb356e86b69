import type { Database } from "better-sqlite3";
import { limitSql, StatementCache } from "./statements.js";

export interface EventRecord {
  id: number;
  tsMs: number;
  cameraId: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

interface EventRow {
  id: number;
  ts_ms: number;
  camera_id: string | null;
  kind: string;
  detail: string;
}

function fromRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    tsMs: row.ts_ms,
    cameraId: row.camera_id,
    kind: row.kind,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}

/** The box's own history: gaps, reconnects, losses, alarms. Kept for diagnostics and upstream. */
export class EventRepository {
  // Prepared once: an eviction pass records an event per segment lost, hundreds in one commit.
  readonly #sql: StatementCache;

  constructor(db: Database) {
    this.#sql = new StatementCache(db);
  }

  append(event: Omit<EventRecord, "id">): number {
    const result = this.#sql
      .get("INSERT INTO events (ts_ms, camera_id, kind, detail) VALUES (?, ?, ?, ?)")
      .run(event.tsMs, event.cameraId, event.kind, JSON.stringify(event.detail));
    return Number(result.lastInsertRowid);
  }

  /** Events stored after `id`, oldest first. */
  after(id: number, limit: number): EventRecord[] {
    const rows = this.#sql
      .get(`SELECT * FROM events WHERE id > ? ORDER BY id ${limitSql(limit)}`)
      .all(id) as EventRow[];
    return rows.map(fromRow);
  }

  lastId(): number {
    return (this.#sql.get("SELECT coalesce(max(id), 0) AS id FROM events").get() as { id: number })
      .id;
  }

  /**
   * Forgets up to `limit` of the oldest events, never the newest `keep` and never one the
   * uplink has not yet copied into the outbox; returns how many.
   */
  pruneOldest(limit: number, keep: number): number {
    return this.#sql
      .get(
        `DELETE FROM events WHERE id IN (
           SELECT id FROM events
           WHERE id <= coalesce((SELECT last_id FROM uplink_cursors WHERE feed = 'events'),
                                (SELECT max(id) FROM events))
             AND id <= (SELECT max(id) FROM events) - @keep
           ORDER BY id LIMIT @limit)`,
      )
      .run({ keep, limit }).changes;
  }

  count(): number {
    return (this.#sql.get("SELECT count(*) AS n FROM events").get() as { n: number }).n;
  }

  /** Newest first; `sinceMs` and `untilMs` bound the time, both included. */
  list(
    filter: {
      cameraId?: string;
      kind?: string;
      sinceMs?: number;
      untilMs?: number;
      limit?: number;
    } = {},
  ): EventRecord[] {
    const rows = this.#sql
      .get(
        `SELECT * FROM events
         WHERE (@cameraId IS NULL OR camera_id = @cameraId)
           AND (@kind IS NULL OR kind = @kind)
           AND ts_ms >= @sinceMs AND ts_ms <= @untilMs
         ORDER BY ts_ms DESC, id DESC LIMIT @limit`,
      )
      .all({
        cameraId: filter.cameraId ?? null,
        kind: filter.kind ?? null,
        sinceMs: filter.sinceMs ?? 0,
        untilMs: filter.untilMs ?? Number.MAX_SAFE_INTEGER,
        limit: filter.limit ?? 1000,
      }) as EventRow[];
    return rows.map(fromRow);
  }
}
