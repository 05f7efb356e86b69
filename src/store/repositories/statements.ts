import type { Database, Statement } from "better-sqlite3";

/** Statements prepared once, for repositories that run the same queries per message or chunk. */
export class StatementCache {
  readonly #statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

/**
 * Runs `work` with commits that do not wait for the disk (synchronous=NORMAL in WAL mode): a
 * killed process keeps them, only a power cut can take them back. For bookkeeping whose loss
 * merely repeats work (a deleted outbox row or a transfer's progress: the message is resent).
 * The pragmas are prepared once: this runs per chunk and per message.
 */
export function withoutDiskSync<T>(statements: StatementCache, work: () => T): T {
  const level = statements.get("PRAGMA synchronous").pluck().get() as number;
  statements.get("PRAGMA synchronous = NORMAL").run();
  try {
    return work();
  } finally {
    statements.get(`PRAGMA synchronous = ${level}`).run();
  }
}
