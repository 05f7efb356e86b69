import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
import { canonicalJson } from "../../protocol/index.js";

export const GENESIS_HASH = "0".repeat(64);

export interface AccessEntry {
  tsMs: number;
  actor: string;
  action: string;
  target: string;
  purpose: string | null;
  result: string;
  detail: Record<string, unknown>;
}

export interface AccessRecord extends AccessEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

interface AccessRow {
  seq: number;
  ts_ms: number;
  actor: string;
  action: string;
  target: string;
  purpose: string | null;
  result: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export type ChainVerdict =
  | { ok: true; checked: number; headHash: string }
  | { ok: false; checked: number; brokenAtSeq: number; reason: string };

/** The hash of an entry covers its content, its sequence number and the previous entry's hash. */
export function accessEntryHash(seq: number, prevHash: string, entry: AccessEntry): string {
  return createHash("sha256")
    .update(canonicalJson({ seq, prevHash, ...entry }))
    .digest("hex");
}

function fromRow(row: AccessRow): AccessRecord {
  return {
    seq: row.seq,
    tsMs: row.ts_ms,
    actor: row.actor,
    action: row.action,
    target: row.target,
    purpose: row.purpose,
    result: row.result,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Append-only, hash-chained record of every access to video or personal data. */
export class AccessLogRepository {
  constructor(private readonly db: Database) {}

  append(entry: AccessEntry): AccessRecord {
    return this.db
      .transaction(() => {
        const head = this.db
          .prepare("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
          .get() as { seq: number; hash: string } | undefined;
        const seq = (head?.seq ?? 0) + 1;
        const prevHash = head?.hash ?? GENESIS_HASH;
        const hash = accessEntryHash(seq, prevHash, entry);
        this.db
          .prepare(
            `INSERT INTO access_log (seq, ts_ms, actor, action, target, purpose, result, detail, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            seq,
            entry.tsMs,
            entry.actor,
            entry.action,
            entry.target,
            entry.purpose,
            entry.result,
            JSON.stringify(entry.detail),
            prevHash,
            hash,
          );
        return { ...entry, seq, prevHash, hash };
      })
      .immediate();
  }

  /** Entries after `seq`, oldest first (the uplink's access feed). */
  after(seq: number, limit: number): AccessRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?")
      .all(seq, limit) as AccessRow[];
    return rows.map(fromRow);
  }

  lastSeq(): number {
    return (
      this.db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM access_log").get() as {
        seq: number;
      }
    ).seq;
  }

  /** Newest first. */
  list(limit = 100): AccessRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM access_log ORDER BY seq DESC LIMIT ?")
      .all(limit) as AccessRow[];
    return rows.map(fromRow);
  }

  /** Walks the whole chain and reports the first entry whose link or content does not check out. */
  verify(): ChainVerdict {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (const row of this.db
      .prepare("SELECT * FROM access_log ORDER BY seq")
      .iterate() as Iterable<AccessRow>) {
      const record = fromRow(row);
      const fail = (reason: string): ChainVerdict => ({
        ok: false,
        checked,
        brokenAtSeq: record.seq,
        reason,
      });
      if (record.seq !== expectedSeq) return fail(`sequence gap: expected ${expectedSeq}`);
      if (record.prevHash !== prevHash) return fail("link to the previous entry does not match");
      const { seq, prevHash: _prev, hash, ...entry } = record;
      if (accessEntryHash(seq, prevHash, entry) !== hash) return fail("entry content was altered");
      prevHash = hash;
      expectedSeq++;
      checked++;
    }
    return { ok: true, checked, headHash: prevHash };
  }
}
