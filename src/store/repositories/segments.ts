import type { Database } from "better-sqlite3";

export const SEGMENT_STATES = ["recording", "closed", "forwarded", "evicted", "lost"] as const;
export type SegmentState = (typeof SEGMENT_STATES)[number];

export interface SegmentRecord {
  id: number;
  cameraId: string;
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string | null;
  state: SegmentState;
  lockedUntilMs: number | null;
  forwardedMs: number | null;
}

interface SegmentRow {
  id: number;
  camera_id: string;
  path: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  sha256: string | null;
  state: SegmentState;
  locked_until_ms: number | null;
  forwarded_ms: number | null;
}

function fromRow(row: SegmentRow): SegmentRecord {
  return {
    id: row.id,
    cameraId: row.camera_id,
    path: row.path,
    startMs: row.start_ms,
    endMs: row.end_ms,
    bytes: row.bytes,
    sha256: row.sha256,
    state: row.state,
    lockedUntilMs: row.locked_until_ms,
    forwardedMs: row.forwarded_ms,
  };
}

export type NewSegment = Pick<
  SegmentRecord,
  "cameraId" | "path" | "startMs" | "endMs" | "bytes" | "sha256" | "state"
>;

/** The index of recorded video. Queries go through (camera_id, start_ms) or (state, start_ms). */
export class SegmentRepository {
  constructor(private readonly db: Database) {}

  insert(segment: NewSegment): SegmentRecord {
    const result = this.db
      .prepare(
        `INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state)
         VALUES (@cameraId, @path, @startMs, @endMs, @bytes, @sha256, @state)`,
      )
      .run(segment);
    return {
      ...segment,
      id: Number(result.lastInsertRowid),
      lockedUntilMs: null,
      forwardedMs: null,
    };
  }

  get(id: number): SegmentRecord | undefined {
    const row = this.db.prepare("SELECT * FROM segments WHERE id = ?").get(id) as
      SegmentRow | undefined;
    return row && fromRow(row);
  }

  /** Stored segments of a camera that overlap [fromMs, toMs), oldest first. */
  overlapping(cameraId: string, fromMs: number, toMs: number): SegmentRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM segments
         WHERE camera_id = ? AND start_ms < ? AND end_ms > ?
           AND state IN ('recording', 'closed', 'forwarded')
         ORDER BY start_ms`,
      )
      .all(cameraId, toMs, fromMs) as SegmentRow[];
    return rows.map(fromRow);
  }

  setState(id: number, state: SegmentState, nowMs: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE segments SET state = @state,
             forwarded_ms = CASE WHEN @state = 'forwarded' THEN @nowMs ELSE forwarded_ms END
           WHERE id = @id`,
        )
        .run({ id, state, nowMs }).changes === 1
    );
  }

  /** Holds every stored segment of a camera overlapping the range until `untilMs`. */
  lock(cameraId: string, fromMs: number, toMs: number, untilMs: number): number {
    return this.db
      .prepare(
        `UPDATE segments SET locked_until_ms = max(coalesce(locked_until_ms, 0), @untilMs)
         WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
           AND state IN ('recording', 'closed', 'forwarded')`,
      )
      .run({ cameraId, fromMs, toMs, untilMs }).changes;
  }

  /** Bytes on disk per state, for quotas and status. */
  bytesByState(): Record<SegmentState, number> {
    const totals = Object.fromEntries(SEGMENT_STATES.map((state) => [state, 0])) as Record<
      SegmentState,
      number
    >;
    const rows = this.db
      .prepare("SELECT state, sum(bytes) AS bytes FROM segments GROUP BY state")
      .all() as { state: SegmentState; bytes: number }[];
    for (const row of rows) totals[row.state] = row.bytes;
    return totals;
  }
}
