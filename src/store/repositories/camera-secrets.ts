import type { Database } from "better-sqlite3";

/** Sealed camera credentials. The repository never sees plaintext: callers seal and unseal. */
export class CameraSecretRepository {
  constructor(private readonly db: Database) {}

  put(cameraId: string, sealed: string, nowMs: number): void {
    this.db
      .prepare(
        `INSERT INTO camera_secrets (camera_id, sealed, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT (camera_id) DO UPDATE SET sealed = excluded.sealed, updated_ms = excluded.updated_ms`,
      )
      .run(cameraId, sealed, nowMs);
  }

  get(cameraId: string): string | undefined {
    const row = this.db
      .prepare("SELECT sealed FROM camera_secrets WHERE camera_id = ?")
      .get(cameraId) as { sealed: string } | undefined;
    return row?.sealed;
  }

  remove(cameraId: string): boolean {
    return (
      this.db.prepare("DELETE FROM camera_secrets WHERE camera_id = ?").run(cameraId).changes === 1
    );
  }
}

/** Sealed secrets of the site, not of one camera (the default camera credentials). */
export class SiteSecretRepository {
  constructor(private readonly db: Database) {}

  put(name: string, sealed: string, nowMs: number): void {
    this.db
      .prepare(
        `INSERT INTO site_secrets (name, sealed, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_ms = excluded.updated_ms`,
      )
      .run(name, sealed, nowMs);
  }

  get(name: string): string | undefined {
    const row = this.db.prepare("SELECT sealed FROM site_secrets WHERE name = ?").get(name) as
      { sealed: string } | undefined;
    return row?.sealed;
  }

  remove(name: string): boolean {
    return this.db.prepare("DELETE FROM site_secrets WHERE name = ?").run(name).changes === 1;
  }
}
