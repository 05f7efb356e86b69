import type { Database } from "better-sqlite3";

/**
 * Sealed values by key. The repository never sees plaintext: callers seal and unseal. Table and
 * column names are constants of the subclasses below, never input.
 */
class SealedValueRepository {
  constructor(
    private readonly db: Database,
    private readonly table: "camera_secrets" | "site_secrets",
    private readonly key: "camera_id" | "name",
  ) {}

  put(key: string, sealed: string, nowMs: number): void {
    this.db
      .prepare(
        `INSERT INTO ${this.table} (${this.key}, sealed, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT (${this.key}) DO UPDATE SET sealed = excluded.sealed, updated_ms = excluded.updated_ms`,
      )
      .run(key, sealed, nowMs);
  }

  get(key: string): string | undefined {
    const row = this.db
      .prepare(`SELECT sealed FROM ${this.table} WHERE ${this.key} = ?`)
      .get(key) as { sealed: string } | undefined;
    return row?.sealed;
  }

  updatedMs(key: string): number | undefined {
    const row = this.db
      .prepare(`SELECT updated_ms FROM ${this.table} WHERE ${this.key} = ?`)
      .get(key) as { updated_ms: number } | undefined;
    return row?.updated_ms;
  }

  remove(key: string): boolean {
    return (
      this.db.prepare(`DELETE FROM ${this.table} WHERE ${this.key} = ?`).run(key).changes === 1
    );
  }
}

/** Sealed credentials of one camera; they go when the camera is removed. */
export class CameraSecretRepository extends SealedValueRepository {
  constructor(db: Database) {
    super(db, "camera_secrets", "camera_id");
  }
}

/** Sealed secrets of the site, not of one camera (the default camera credentials). */
export class SiteSecretRepository extends SealedValueRepository {
  constructor(db: Database) {
    super(db, "site_secrets", "name");
  }
}
