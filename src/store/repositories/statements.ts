import type { Database, Statement, Transaction } from "better-sqlite3";

/**
 * Runs `work` in a transaction (a savepoint inside another one). better-sqlite3 builds a new
 * transaction function, with its variants, on every db.transaction() call: measured at 7 µs
 * against 0.7 µs for one made once, which a per-event path pays several times over.
 */
export type TransactionRunner = <T>(work: () => T) => T;

export function transactionRunner(db: Database): TransactionRunner {
  const run: Transaction<(work: () => unknown) => unknown> = db.transaction((work) => work());
  return <T>(work: () => T) => run(work) as T;
}

/**
 * A row limit written into the statement's text, not bound: SQLite prepares a statement whose
 * LIMIT is a parameter again each time it runs (measured: 7.3 µs against 2.7 µs for an empty
 * result). Each distinct limit is a statement of its own in the cache; callers use a few.
 */
export function limitSql(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < -1) throw new RangeError(`not a row limit: ${limit}`);
  return `LIMIT ${limit}`;
}

/** Statements prepared once, for repositories that run the same queries per message or chunk. */
export class StatementCache {
  readonly #statements = new Map<string, Statement>();
  /** One transaction function for this connection (see transactionRunner). */
  readonly transaction: TransactionRunner;

  constructor(private readonly db: Database) {
    this.transaction = transactionRunner(db);
  }

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
