import type { Database } from "better-sqlite3";
import { StatementCache, withoutDiskSync } from "./statements.js";

export interface TransferProgress {
  chunkBytes: number;
  ackedChunks: number;
}

/**
 * What the video forwarder must remember across drops and restarts: how many chunks of each
 * segment the broker acknowledged, and which segments the center asked for (a clip request),
 * which are held against eviction until they are sent.
 */
export class VideoTransferRepository {
  readonly #statements: StatementCache;

  constructor(private readonly db: Database) {
    this.#statements = new StatementCache(db);
  }

  #sql(text: string) {
    return this.#statements.get(text);
  }

  progress(segmentId: number): TransferProgress | undefined {
    return this.#sql(
      "SELECT chunk_bytes AS chunkBytes, acked_chunks AS ackedChunks FROM video_progress WHERE segment_id = ?",
    ).get(segmentId) as TransferProgress | undefined;
  }

  /**
   * Records an acknowledged chunk; what a power cut takes back is only sent again.
   */
  saveProgress(segmentId: number, progress: TransferProgress, nowMs: number): void {
    withoutDiskSync(this.#statements, () =>
      this.#sql(
        `INSERT INTO video_progress (segment_id, chunk_bytes, acked_chunks, updated_ms)
         VALUES (?, ?, ?, ?) ON CONFLICT (segment_id) DO UPDATE
           SET chunk_bytes = excluded.chunk_bytes, acked_chunks = excluded.acked_chunks,
               updated_ms = excluded.updated_ms`,
      ).run(segmentId, progress.chunkBytes, progress.ackedChunks, nowMs),
    );
  }

  /**
   * The last chunk was acknowledged: the segment is at the center, its hold is released. Like
   * progress, this need not wait for the disk: a power cut only resends the segment's end.
   */
  complete(segmentId: number, nowMs: number): void {
    withoutDiskSync(this.#statements, () => this.#complete(segmentId, nowMs));
  }

  #complete(segmentId: number, nowMs: number): void {
    this.#statements.transaction(() => {
      this.#sql(
        `UPDATE segments SET state = 'forwarded', forwarded_ms = ?
         WHERE id = ? AND state IN ('closed', 'forwarded')`,
      ).run(nowMs, segmentId);
      this.#forget(segmentId);
    });
  }

  /** Gives a transfer up (the segment's file is gone). */
  abandon(segmentId: number): void {
    this.#statements.transaction(() => this.#forget(segmentId));
  }

  /** Asks for segments to be sent ahead of the rest; returns how many were not already asked. */
  request(segmentIds: readonly number[], requestId: string, nowMs: number): number {
    const insert = this.#sql(
      "INSERT OR IGNORE INTO video_requests (segment_id, request, queued_ms) VALUES (?, ?, ?)",
    );
    return this.#statements.transaction(() =>
      segmentIds.reduce((sum, id) => sum + insert.run(id, requestId, nowMs).changes, 0),
    );
  }

  /** The oldest request's next segment still on disk; requests for vanished segments are dropped. */
  nextRequested(): number | undefined {
    this.#sql(
      `DELETE FROM video_requests WHERE segment_id NOT IN
         (SELECT id FROM segments WHERE state IN ('closed', 'forwarded'))`,
    ).run();
    const row = this.#sql(
      "SELECT segment_id AS id FROM video_requests ORDER BY queued_ms, segment_id LIMIT 1",
    ).get() as { id: number } | undefined;
    return row?.id;
  }

  requested(): number {
    return (this.#sql("SELECT count(*) AS n FROM video_requests").get() as { n: number }).n;
  }

  #forget(segmentId: number): void {
    this.#sql("DELETE FROM video_progress WHERE segment_id = ?").run(segmentId);
    this.#sql("DELETE FROM video_requests WHERE segment_id = ?").run(segmentId);
  }
}
