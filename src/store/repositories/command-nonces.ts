import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Database } from "better-sqlite3";
import { StatementCache } from "./statements.js";

/** What a nonce says of the command that brings it. */
export type NonceClaim =
  /** Never used (or expired): now claimed by this command. */
  | { kind: "fresh" }
  /** Claimed by this very command before; its reply, if the box kept it (null: not, or not yet). */
  | { kind: "repeat"; reply: string | null }
  /** Claimed by another command: a replay. */
  | { kind: "reused" };

/** How much of the replies is kept: each at most `maxReplyBytes` deflated, all at most `maxTotalBytes`. */
export interface ReplyBounds {
  maxReplyBytes: number;
  maxTotalBytes: number;
}

/**
 * Nonces of accepted commands, kept until the command expires: a replay is refused. Each nonce
 * remembers the digest of the command that claimed it and, once carried out, that command's
 * reply, so the same command sent again is answered as the first time.
 */
export class CommandNonceRepository {
  readonly #statements: StatementCache;

  constructor(private readonly db: Database) {
    this.#statements = new StatementCache(db);
  }

  #sql(text: string) {
    return this.#statements.get(text);
  }

  /** Claims a nonce; false when it was already used by a command that has not expired. */
  claim(nonce: string, expiresMs: number, nowMs: number): boolean {
    return this.claimFor(nonce, null, expiresMs, nowMs).kind === "fresh";
  }

  /** Claims a nonce for the command of this digest, or says who claimed it before. */
  claimFor(nonce: string, digest: string | null, expiresMs: number, nowMs: number): NonceClaim {
    return this.db.transaction((): NonceClaim => {
      this.#sql("DELETE FROM command_nonces WHERE expires_ms <= ?").run(nowMs);
      const inserted = this.#sql(
        "INSERT OR IGNORE INTO command_nonces (nonce, expires_ms, digest) VALUES (?, ?, ?)",
      ).run(nonce, expiresMs, digest).changes;
      if (inserted === 1) return { kind: "fresh" };
      const row = this.#sql("SELECT digest, reply FROM command_nonces WHERE nonce = ?").get(
        nonce,
      ) as { digest: string | null; reply: Buffer | null };
      if (digest === null || row.digest !== digest) return { kind: "reused" };
      return {
        kind: "repeat",
        reply: row.reply === null ? null : inflateRawSync(row.reply).toString("utf8"),
      };
    })();
  }

  /**
   * Keeps the reply of the command that claimed `nonce` (null: keep none), within the bounds:
   * the oldest replies are forgotten first, the nonces stay. Returns whether it was kept.
   */
  settle(nonce: string, reply: string | null, bounds: ReplyBounds, nowMs: number): boolean {
    const packed = reply === null ? null : deflateRawSync(Buffer.from(reply, "utf8"));
    const kept = packed !== null && packed.length <= bounds.maxReplyBytes;
    return this.db.transaction(() => {
      this.#sql("UPDATE command_nonces SET reply = ?, replied_ms = ? WHERE nonce = ?").run(
        kept ? packed : null,
        nowMs,
        nonce,
      );
      if (kept) this.#trim(bounds.maxTotalBytes);
      return kept;
    })();
  }

  /** The command was refused for a passing reason and did nothing: its nonce may come again. */
  release(nonce: string): void {
    this.#sql("DELETE FROM command_nonces WHERE nonce = ?").run(nonce);
  }

  /** Forgets every kept reply (the database is over its budget); returns how many. */
  forgetReplies(): number {
    return this.#sql("UPDATE command_nonces SET reply = NULL WHERE reply IS NOT NULL").run()
      .changes;
  }

  usage(): { nonces: number; replies: number; replyBytes: number } {
    return this.#sql(
      `SELECT count(*) AS nonces, count(reply) AS replies,
              coalesce(sum(length(reply)), 0) AS replyBytes FROM command_nonces`,
    ).get() as { nonces: number; replies: number; replyBytes: number };
  }

  #trim(maxTotalBytes: number): void {
    let total = this.usage().replyBytes;
    if (total <= maxTotalBytes) return;
    const oldest = this.#sql(
      `SELECT nonce, length(reply) AS bytes FROM command_nonces
         WHERE reply IS NOT NULL ORDER BY replied_ms LIMIT 64`,
    );
    const forget = this.#sql("UPDATE command_nonces SET reply = NULL WHERE nonce = ?");
    while (total > maxTotalBytes) {
      const rows = oldest.all() as { nonce: string; bytes: number }[];
      if (rows.length === 0) return;
      for (const row of rows) {
        if (total <= maxTotalBytes) return;
        forget.run(row.nonce);
        total -= row.bytes;
      }
    }
  }
}
