import type { Database } from "better-sqlite3";

/** Nonces of accepted commands, kept until the command expires: a replay is refused. */
export class CommandNonceRepository {
  constructor(private readonly db: Database) {}

  /** Claims a nonce; false when it was already used by a command that has not expired. */
  claim(nonce: string, expiresMs: number, nowMs: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM command_nonces WHERE expires_ms <= ?").run(nowMs);
      return (
        this.db
          .prepare("INSERT OR IGNORE INTO command_nonces (nonce, expires_ms) VALUES (?, ?)")
          .run(nonce, expiresMs).changes === 1
      );
    })();
  }
}
