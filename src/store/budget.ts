import type { Store } from "./store.js";

export interface StoreUsage {
  /** Bytes of the pages in use (free pages are reused before the file grows). */
  bytes: number;
  /** Size of the database file (its write-ahead log aside). */
  fileBytes: number;
  /** The budget, `store.maxBytes`. */
  maxBytes: number;
  overBudget: boolean;
}

/**
 * The database's size budget (`store.maxBytes`). Recording, inventory and the outbox have bounds
 * of their own; over the budget, what grows from outside input gives way (refused commands are
 * only counted, kept command outcomes are forgotten). Reading it is three pragmas, no scan.
 */
export class StoreBudget {
  constructor(
    private readonly store: Pick<Store, "db">,
    readonly maxBytes: number,
  ) {}

  usage(): StoreUsage {
    const db = this.store.db;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const pages = db.pragma("page_count", { simple: true }) as number;
    const free = db.pragma("freelist_count", { simple: true }) as number;
    const bytes = (pages - free) * pageSize;
    return {
      bytes,
      fileBytes: pages * pageSize,
      maxBytes: this.maxBytes,
      overBudget: bytes > this.maxBytes,
    };
  }

  over(): boolean {
    return this.usage().overBudget;
  }
}
