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
