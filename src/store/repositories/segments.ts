import type { Database } from "better-sqlite3";
import { limitSql, StatementCache } from "./statements.js";

export const SEGMENT_STATES = ["recording", "closed", "forwarded", "evicted", "lost"] as const;
export type SegmentState = (typeof SEGMENT_STATES)[number];
/**
 * No segment is longer than this: range queries scan the (camera_id, start_ms) index from
 * `from - MAX_SEGMENT_MS` instead of from the start of a camera's history. Segments last
 * `storage.segmentSeconds` (at most 300 s) up to the next keyframe; a longer one has bogus times.
 */
export const MAX_SEGMENT_MS = 3_600_000;

/** States whose segment has a file on disk. */
export const STORED_STATES = ["recording", "closed", "forwarded"] as const;
const STORED_SQL = `(${STORED_STATES.map((state) => `'${state}'`).join(", ")})`;

export interface CameraSegmentStats {
  cameraId: string;
  segments: number;
  bytes: number;
  durationMs: number;
  oldestMs: number;
  newestMs: number;
  gaps: number;
}

export interface SegmentUsage {
  cameraId: string;
  state: SegmentState;
  segments: number;
  bytes: number;
}

/** What a segment holds, read from the file (ffprobe); null where it is not known. */
export interface SegmentMedia {
  videoCodec: string | null;
  width: number | null;
  height: number | null;
  /** The stored audio's codec; null: no audio in the file (or not known). */
  audioCodec: string | null;
}

export const UNKNOWN_MEDIA: SegmentMedia = Object.freeze({
  videoCodec: null,
  width: null,
  height: null,
  audioCodec: null,
});

export interface SegmentRecord extends SegmentMedia {
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

/** A segment row as an array in this column order: no intermediate object per row. */
const COLUMNS =
  "id, camera_id, path, start_ms, end_ms, bytes, sha256, state, locked_until_ms, forwarded_ms, " +
  "video_codec, width, height, audio_codec";
type SegmentTuple = [
  number,
  string,
  string,
  number,
  number,
  number,
  string | null,
  SegmentState,
  number | null,
  number | null,
  string | null,
  number | null,
  number | null,
  string | null,
];

function fromRow(row: SegmentTuple): SegmentRecord {
  const [id, cameraId, path, startMs, endMs, bytes, sha256, state, lockedUntilMs, forwardedMs] =
    row;
  const [videoCodec, width, height, audioCodec] = row.slice(10) as [
    string | null,
    number | null,
    number | null,
    string | null,
  ];
  return {
    id,
    cameraId,
    path,
    startMs,
    endMs,
    bytes,
    sha256,
    state,
    lockedUntilMs,
    forwardedMs,
    videoCodec,
    width,
    height,
    audioCodec,
  };
}

export type NewSegment = Pick<
  SegmentRecord,
  "cameraId" | "path" | "startMs" | "endMs" | "bytes" | "sha256" | "state"
> &
  Partial<SegmentMedia>;

/** The index of recorded video. Queries go through (camera_id, start_ms) or (state, start_ms). */
export class SegmentRepository {
  // Prepared once: eviction, range queries and the recorder run these per segment.
  readonly #sql: StatementCache;

  constructor(db: Database) {
    this.#sql = new StatementCache(db);
  }

  /** `SELECT <COLUMNS> FROM segments <rest>`, returning rows as arrays (see fromRow). */
  #select(rest: string) {
    return this.#sql.get(`SELECT ${COLUMNS} FROM segments ${rest}`).raw(true);
  }

  /** Indexes a segment; one claimed longer than MAX_SEGMENT_MS keeps its end, its start moves up. */
  insert(input: NewSegment): SegmentRecord {
    const segment = {
      ...UNKNOWN_MEDIA,
      ...input,
      startMs: Math.max(input.startMs, input.endMs - MAX_SEGMENT_MS),
    };
    const result = this.#sql
      .get(
        `INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state,
           video_codec, width, height, audio_codec)
         VALUES (@cameraId, @path, @startMs, @endMs, @bytes, @sha256, @state,
           @videoCodec, @width, @height, @audioCodec)`,
      )
      .run(segment);
    return {
      ...segment,
      id: Number(result.lastInsertRowid),
      lockedUntilMs: null,
      forwardedMs: null,
    };
  }

  /** Segments indexed after `id`, oldest first (the uplink's segment-index feed). */
  after(id: number, limit: number): SegmentRecord[] {
    return (
      this.#select(`WHERE id > ? ORDER BY id ${limitSql(limit)}`).all(id) as SegmentTuple[]
    ).map(fromRow);
  }

  lastId(): number {
    return (
      this.#sql.get("SELECT coalesce(max(id), 0) AS id FROM segments").get() as { id: number }
    ).id;
  }

  findByPath(path: string): SegmentRecord | undefined {
    const row = this.#select("WHERE path = ?").get(path) as SegmentTuple | undefined;
    return row && fromRow(row);
  }

  get(id: number): SegmentRecord | undefined {
    const row = this.#select("WHERE id = ?").get(id) as SegmentTuple | undefined;
    return row && fromRow(row);
  }

  /** Stored segments of a camera that overlap [fromMs, toMs), oldest first; -1: no limit. */
  overlapping(cameraId: string, fromMs: number, toMs: number, limit = -1): SegmentRecord[] {
    const rows = this.#select(
      `WHERE camera_id = ? AND start_ms < ? AND end_ms > ? AND start_ms > ?
         AND state IN ${STORED_SQL}
       ORDER BY start_ms LIMIT ?`,
    ).all(cameraId, toMs, fromMs, fromMs - MAX_SEGMENT_MS, limit) as SegmentTuple[];
    return rows.map(fromRow);
  }

  setState(id: number, state: SegmentState, nowMs: number): boolean {
    return (
      this.#sql
        .get(
          `UPDATE segments SET state = @state,
             forwarded_ms = CASE WHEN @state = 'forwarded' THEN @nowMs ELSE forwarded_ms END
           WHERE id = @id`,
        )
        .run({ id, state, nowMs }).changes === 1
    );
  }

  /** Holds every stored segment of a camera overlapping the range until `untilMs`. */
  lock(cameraId: string, fromMs: number, toMs: number, untilMs: number): number {
    return this.#sql
      .get(
        `UPDATE segments SET locked_until_ms = max(coalesce(locked_until_ms, 0), @untilMs)
         WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
           AND start_ms > @fromMs - ${MAX_SEGMENT_MS}
           AND state IN ${STORED_SQL}`,
      )
      .run({ cameraId, fromMs, toMs, untilMs }).changes;
  }

  /** Releases every hold on a camera's segments overlapping the range. */
  unlock(cameraId: string, fromMs: number, toMs: number): number {
    return this.#sql
      .get(
        `UPDATE segments SET locked_until_ms = NULL
         WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
           AND start_ms > @fromMs - ${MAX_SEGMENT_MS}
           AND locked_until_ms IS NOT NULL`,
      )
      .run({ cameraId, fromMs, toMs }).changes;
  }

  /** Bytes a lock of the range would newly hold (segments not already held at `nowMs`). */
  unlockedBytesIn(cameraId: string, fromMs: number, toMs: number, nowMs: number): number {
    const row = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segments
         WHERE camera_id = @cameraId AND start_ms < @toMs AND end_ms > @fromMs
           AND start_ms > @fromMs - ${MAX_SEGMENT_MS}
           AND state IN ${STORED_SQL} AND coalesce(locked_until_ms, 0) <= @nowMs`,
      )
      .get({ cameraId, fromMs, toMs, nowMs }) as { bytes: number };
    return row.bytes;
  }

  /** Bytes held by locks at `nowMs`; goes through the partial index of locked rows. */
  lockedBytes(nowMs: number): number {
    const row = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segments
         WHERE locked_until_ms > ? AND state IN ${STORED_SQL}`,
      )
      .get(nowMs) as { bytes: number };
    return row.bytes;
  }

  /** Segment count and bytes per camera and state, from the trigger-kept totals. */
  usage(): SegmentUsage[] {
    return this.#sql
      .get(
        "SELECT camera_id AS cameraId, state, segments, bytes FROM segment_usage WHERE segments > 0",
      )
      .all() as SegmentUsage[];
  }

  /** Bytes of video on disk according to the index. */
  storedBytes(): number {
    const row = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segment_usage WHERE state IN ${STORED_SQL}`,
      )
      .get() as { bytes: number };
    return row.bytes;
  }

  /**
   * The oldest stored segments in `state` that no lock, event hold or clip request holds at
   * `nowMs`, for eviction. Oldest by id, the order they were recorded in: a box clock stepped back gives
   * new segments earlier start times than old ones, and the newest video must not go first.
   * The (state, id) index makes this cost the same with a thousand rows or a million.
   */
  evictable(state: "closed" | "forwarded", nowMs: number, limit: number): SegmentRecord[] {
    const rows = this.#select(
      `WHERE state = ? AND coalesce(locked_until_ms, 0) <= ?
         AND coalesce(event_hold_until_ms, 0) <= ?
         AND id NOT IN (SELECT segment_id FROM video_requests)
       ORDER BY id LIMIT ?`,
    ).all(state, nowMs, nowMs, limit) as SegmentTuple[];
    return rows.map(fromRow);
  }

  /** A camera's oldest or newest closed segment not yet forwarded, through (state, camera, start). */
  unforwarded(cameraId: string, which: "oldest" | "newest"): SegmentRecord | undefined {
    const order = which === "oldest" ? "ASC" : "DESC";
    const row = this.#select(
      `WHERE state = 'closed' AND camera_id = ? ORDER BY start_ms ${order} LIMIT 1`,
    ).get(cameraId) as SegmentTuple | undefined;
    return row && fromRow(row);
  }

  /** Marks segments whose files are gone: `evicted` by the ring buffer, `lost` otherwise. */
  markGone(ids: readonly number[], state: "evicted" | "lost"): void {
    if (ids.length === 0) return;
    // One statement for the batch: a statement per row cost the ring buffer most of its
    // eviction time (scripts/bench/index).
    this.#sql
      .get(
        `UPDATE segments SET state = ?, locked_until_ms = NULL
         WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .run(state, JSON.stringify(ids));
  }

  /** Updates what is known of a file after it was checked again (reconcile). */
  updateFile(id: number, bytes: number, sha256: string): void {
    this.#sql.get("UPDATE segments SET bytes = ?, sha256 = ? WHERE id = ?").run(bytes, sha256, id);
  }

  /**
   * Forgets evicted and lost segments that ended before `beforeMs`; returns how many. The newest
   * row always stays: ids must keep growing, since the uplink's segment feed reads "after id".
   */
  pruneHistory(beforeMs: number, limit: number): number {
    return this.#sql
      .get(
        `DELETE FROM segments WHERE id IN (
           SELECT id FROM segments WHERE state IN ('evicted', 'lost') AND start_ms < ?
             AND id < (SELECT max(id) FROM segments)
           ORDER BY state, start_ms LIMIT ?)`,
      )
      .run(beforeMs, limit).changes;
  }

  /** Every segment that should have a file on disk, for reconciling index and disk. */
  *stored(): Generator<SegmentRecord> {
    const rows = this.#select(`WHERE state IN ${STORED_SQL}`).iterate();
    for (const row of rows as Iterable<SegmentTuple>) {
      yield fromRow(row);
    }
  }

  /** A camera's latest stored segment end, and the bytes it recorded from `sinceMs` on. */
  recent(cameraId: string, sinceMs: number): { newestMs: number | null; bytesSince: number } {
    const newest = this.#sql
      .get(
        `SELECT end_ms AS endMs FROM segments WHERE camera_id = ? AND state IN ${STORED_SQL}
         ORDER BY start_ms DESC LIMIT 1`,
      )
      .get(cameraId) as { endMs: number } | undefined;
    const since = this.#sql
      .get(
        `SELECT coalesce(sum(bytes), 0) AS bytes FROM segments
         WHERE camera_id = ? AND start_ms >= ? AND state IN ${STORED_SQL}`,
      )
      .get(cameraId, sinceMs) as { bytes: number };
    return { newestMs: newest?.endMs ?? null, bytesSince: since.bytes };
  }

  /** First start and last end of a camera's stored video. */
  span(cameraId: string): { oldestMs: number; newestMs: number } | undefined {
    const row = this.#sql
      .get(
        `SELECT min(start_ms) AS oldestMs, max(end_ms) AS newestMs FROM segments
         WHERE camera_id = ? AND state IN ${STORED_SQL}`,
      )
      .get(cameraId) as { oldestMs: number | null; newestMs: number | null };
    return row.oldestMs === null || row.newestMs === null
      ? undefined
      : { oldestMs: row.oldestMs, newestMs: row.newestMs };
  }

  /** Per camera: stored segments, bytes, recorded time, first and last instant, gaps over `gapMs`. */
  cameraStats(gapMs: number): CameraSegmentStats[] {
    return this.#sql
      .get(
        `SELECT camera_id AS cameraId, count(*) AS segments, sum(bytes) AS bytes,
           sum(end_ms - start_ms) AS durationMs, min(start_ms) AS oldestMs, max(end_ms) AS newestMs,
           sum(CASE WHEN start_ms - previous_end > @gapMs THEN 1 ELSE 0 END) AS gaps
         FROM (SELECT *, lag(end_ms) OVER (PARTITION BY camera_id ORDER BY start_ms) AS previous_end
               FROM segments WHERE state IN ${STORED_SQL})
         GROUP BY camera_id ORDER BY camera_id`,
      )
      .all({ gapMs }) as CameraSegmentStats[];
  }
}
