import type { Database } from "better-sqlite3";
import { MAX_SEGMENT_MS, STORED_STATES } from "./segments.js";
import { StatementCache } from "./statements.js";

/** No window of video around an event is longer (the triggers of migration 12 rely on it). */
export const EVENT_WINDOW_MAX_MS = 3_600_000;

const STORED_SQL = `(${STORED_STATES.map((state) => `'${state}'`).join(", ")})`;
const ACTIVE = "hold_until_ms IS NOT NULL AND released_ms IS NULL";

export interface EventWindow {
  eventId: number;
  cameraId: string;
  kind: string;
  fromMs: number;
  toMs: number;
  /** Until when its segments are held against eviction; null: not held. */
  holdUntilMs: number | null;
}

/**
 * The video around camera events: which segments cover an event (kept by triggers), the
 * window of segments around it that is held against eviction and forwarded first.
 */
export class EventWindowRepository {
  readonly #sql: StatementCache;

  constructor(private readonly db: Database) {
    this.#sql = new StatementCache(db);
  }

  /** Records a window and holds the stored segments in it (later ones: the insert trigger). */
  open(window: EventWindow): void {
    const fromMs = Math.max(window.fromMs, window.toMs - EVENT_WINDOW_MAX_MS);
    this.#sql.transaction(() => {
      this.#sql
        .get(
          `INSERT OR REPLACE INTO event_windows
             (event_id, camera_id, kind, from_ms, to_ms, hold_until_ms)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(window.eventId, window.cameraId, window.kind, fromMs, window.toMs, window.holdUntilMs);
      if (window.holdUntilMs === null) return;
      this.#sql
        .get(
          `UPDATE segments SET event_hold_until_ms =
             max(coalesce(event_hold_until_ms, 0), @holdUntilMs)
           WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
             AND start_ms > @fromMs - ${MAX_SEGMENT_MS} AND state IN ${STORED_SQL}`,
        )
        .run({
          cameraId: window.cameraId,
          fromMs,
          toMs: window.toMs,
          holdUntilMs: window.holdUntilMs,
        });
    });
  }

  /** Bytes of stored video held at `nowMs` by evidence locks or event holds, each file once. */
  heldBytes(nowMs: number): number {
    const row = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segments
         WHERE (locked_until_ms > @nowMs OR event_hold_until_ms > @nowMs)
           AND state IN ${STORED_SQL}`,
      )
      .get({ nowMs }) as { bytes: number };
    return row.bytes;
  }

  /** Bytes held at `nowMs` by event holds alone. */
  eventHeldBytes(nowMs: number): number {
    const row = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segments
         WHERE event_hold_until_ms > ? AND state IN ${STORED_SQL}`,
      )
      .get(nowMs) as { bytes: number };
    return row.bytes;
  }

  /** Windows still holding video at `nowMs`, oldest event first. */
  held(nowMs: number, limit: number): EventWindow[] {
    return this.#sql
      .get(
        `SELECT event_id AS eventId, camera_id AS cameraId, kind, from_ms AS fromMs,
           to_ms AS toMs, hold_until_ms AS holdUntilMs
         FROM event_windows WHERE ${ACTIVE} AND hold_until_ms > ? ORDER BY event_id LIMIT ?`,
      )
      .all(nowMs, limit) as EventWindow[];
  }

  /**
   * Ends the holds of these windows: each segment they covered keeps the longest hold of the
   * windows still active over it, or none.
   */
  release(windows: readonly EventWindow[], nowMs: number): void {
    const mark = this.#sql.get("UPDATE event_windows SET released_ms = ? WHERE event_id = ?");
    const recompute = this.#sql.get(
      `UPDATE segments SET event_hold_until_ms = (
           SELECT max(w.hold_until_ms) FROM event_windows AS w
           WHERE w.camera_id = segments.camera_id AND w.to_ms > segments.start_ms
             AND w.to_ms < segments.end_ms + ${EVENT_WINDOW_MAX_MS}
             AND w.from_ms < segments.end_ms
             AND w.hold_until_ms IS NOT NULL AND w.released_ms IS NULL)
       WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
         AND start_ms > @fromMs - ${MAX_SEGMENT_MS} AND event_hold_until_ms IS NOT NULL`,
    );
    this.db.transaction(() => {
      for (const window of windows) {
        mark.run(nowMs, window.eventId);
        recompute.run({ cameraId: window.cameraId, fromMs: window.fromMs, toMs: window.toMs });
      }
    })();
  }

  /** Whether a segment lies in a window around an event. */
  covers(cameraId: string, startMs: number, endMs: number): boolean {
    return (
      this.#sql
        .get(
          `SELECT 1 FROM event_windows WHERE camera_id = ? AND to_ms > ? AND to_ms < ?
             AND from_ms < ? LIMIT 1`,
        )
        .get(cameraId, startMs, endMs + EVENT_WINDOW_MAX_MS, endMs) !== undefined
    );
  }

  /**
   * The oldest segment not yet forwarded in a window around an event of these cameras. A
   * window none of whose segments waits is done once its camera recorded past its end (or it
   * ended before `settledBeforeMs`), and is not looked at again.
   */
  nextToForward(
    cameraIds: readonly string[],
    settledBeforeMs: number,
  ): { segmentId: number; eventId: number } | undefined {
    const forwarding = new Set(cameraIds);
    // Windows in order, through the partial index of unsent ones: no sort, no subquery per row.
    const windows = this.#sql
      .get(
        `SELECT event_id AS eventId, camera_id AS cameraId, from_ms AS fromMs, to_ms AS toMs
         FROM event_windows INDEXED BY event_windows_unsent WHERE sent = 0
         ORDER BY from_ms LIMIT 256`,
      )
      .all() as Pick<EventWindow, "eventId" | "cameraId" | "fromMs" | "toMs">[];
    const waiting = this.#sql.get(
      `SELECT id FROM segments INDEXED BY segments_state_camera_start
       WHERE state = 'closed' AND camera_id = @cameraId AND start_ms < @toMs
         AND start_ms > @fromMs - ${MAX_SEGMENT_MS} AND end_ms > @fromMs
       ORDER BY start_ms LIMIT 1`,
    );
    const recordedTo = this.#sql.get(
      `SELECT end_ms AS endMs FROM segments WHERE camera_id = ? ORDER BY start_ms DESC LIMIT 1`,
    );
    // Asked once per camera, not once per window: a busy camera has hundreds of windows open.
    const recordedToByCamera = new Map<string, number>();
    const recordedToOf = (cameraId: string): number => {
      let endMs = recordedToByCamera.get(cameraId);
      if (endMs === undefined) {
        endMs = (recordedTo.get(cameraId) as { endMs: number } | undefined)?.endMs ?? 0;
        recordedToByCamera.set(cameraId, endMs);
      }
      return endMs;
    };
    const done: number[] = [];
    let next: { segmentId: number; eventId: number } | undefined;
    for (const window of windows) {
      const { cameraId, fromMs, toMs } = window;
      if (forwarding.has(cameraId)) {
        const segment = waiting.get({ cameraId, fromMs, toMs }) as { id: number } | undefined;
        if (segment) {
          next = { segmentId: segment.id, eventId: window.eventId };
          break;
        }
      }
      // Nothing (more) to send of it: done once its camera recorded past it, or long ago.
      if (recordedToOf(cameraId) >= toMs || toMs < settledBeforeMs) done.push(window.eventId);
    }
    if (done.length > 0)
      this.#sql
        .get("UPDATE event_windows SET sent = 1 WHERE event_id IN (SELECT value FROM json_each(?))")
        .run(JSON.stringify(done));
    return next;
  }

  /** Segments that cover an event (the one open at its time), oldest first. */
  segmentsOf(eventId: number): number[] {
    return (
      this.#sql
        .get(
          "SELECT segment_id AS id FROM event_segments WHERE event_id = ? ORDER BY segment_id LIMIT 16",
        )
        .all(eventId) as { id: number }[]
    ).map((row) => row.id);
  }

  /** Camera events a segment covers, oldest first. */
  eventsOf(segmentId: number): number[] {
    return (
      this.#sql
        .get("SELECT event_id AS id FROM event_segments WHERE segment_id = ? ORDER BY event_id")
        .all(segmentId) as { id: number }[]
    ).map((row) => row.id);
  }

  /** How many camera events each of these segments covers (segments with none are absent). */
  eventCounts(segmentIds: readonly number[]): Map<number, number> {
    if (segmentIds.length === 0) return new Map();
    const rows = this.#sql
      .get(
        `SELECT segment_id AS id, count(*) AS n FROM event_segments
         WHERE segment_id IN (SELECT value FROM json_each(?)) GROUP BY segment_id`,
      )
      .all(JSON.stringify(segmentIds)) as { id: number; n: number }[];
    return new Map(rows.map((row) => [row.id, row.n]));
  }

  /** Forgets windows that ended before `beforeMs` and hold nothing at `nowMs`; returns how many. */
  prune(beforeMs: number, nowMs: number, limit: number): number {
    return this.#sql
      .get(
        `DELETE FROM event_windows WHERE event_id IN (
           SELECT event_id FROM event_windows WHERE to_ms < ?
             AND (hold_until_ms IS NULL OR hold_until_ms <= ? OR released_ms IS NOT NULL)
           LIMIT ?)`,
      )
      .run(beforeMs, nowMs, limit).changes;
  }
}
