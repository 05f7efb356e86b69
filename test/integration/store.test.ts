import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { silentLogger } from "../../src/log/index.js";
import {
  applyMigrations,
  LATEST_VERSION,
  MIGRATIONS,
  Store,
  StoreClosedError,
  StoreOpenError,
  StoreVersionError,
  schemaVersion,
} from "../../src/store/index.js";
import { tempDir } from "../helpers/temp.js";

function schemaOf(path: string): string[] {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return (
      db
        .prepare(
          "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { type: string; name: string; sql: string }[]
    ).map((row) => `${row.type} ${row.name}: ${row.sql.replace(/\s+/g, " ")}`);
  } finally {
    db.close();
  }
}

describe("store on disk", () => {
  it("migrates an empty file to the latest version, in WAL mode", async (t) => {
    const path = join(await tempDir(t), "sub", "camgate.db");
    const store = new Store(path, silentLogger());
    store.open();
    assert.equal(schemaVersion(store.db), LATEST_VERSION);
    assert.equal(store.db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(store.db.pragma("foreign_keys", { simple: true }), 1);
    store.close();
    store.close();
    assert.throws(() => store.repos, StoreClosedError);
  });

  it("numbers migrations 1..N without gaps", () => {
    assert.deepEqual(
      MIGRATIONS.map((migration) => migration.version),
      Array.from({ length: MIGRATIONS.length }, (_, index) => index + 1),
    );
  });

  for (let from = 0; from < LATEST_VERSION; from++) {
    it(`upgrades a version-${from} database, keeping its rows, to the same schema as a fresh one`, async (t) => {
      const dir = await tempDir(t);
      const fresh = join(dir, "fresh.db");
      const old = join(dir, "old.db");
      new Store(fresh, silentLogger()).open();

      const db = new BetterSqlite3(old);
      applyMigrations(db, from);
      assert.equal(schemaVersion(db), from);
      if (from >= 1) {
        db.prepare(
          "INSERT INTO cameras (id, first_seen_ms, last_seen_ms) VALUES ('cam-a', 1, 2)",
        ).run();
      }
      db.close();

      const store = new Store(old, silentLogger());
      const repos = store.open();
      assert.equal(schemaVersion(store.db), LATEST_VERSION);
      if (from >= 1) assert.equal(repos.cameras.get("cam-a")?.lastSeenMs, 2);
      store.close();
      assert.deepEqual(schemaOf(old), schemaOf(fresh));
    });
  }

  it("migration 9 keeps cameras that were in use approved, with their sealed credentials", async (t) => {
    const path = join(await tempDir(t), "camgate.db");
    const db = new BetterSqlite3(path);
    db.pragma("foreign_keys = ON");
    applyMigrations(db, 8);
    db.exec(
      `INSERT INTO cameras (id, urn, ip, first_seen_ms, last_seen_ms) VALUES
         ('cam-a', 'urn:uuid:a', '127.0.0.1', 1, 2), ('cam-b', NULL, '127.0.0.2', 1, 2);
       INSERT INTO camera_secrets (camera_id, sealed, updated_ms) VALUES ('cam-a', 'sealed', 3);`,
    );
    applyMigrations(db);
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1, "foreign keys back on");
    const rows = db.prepare("SELECT id, trust FROM cameras ORDER BY id").all();
    assert.deepEqual(rows, [
      { id: "cam-a", trust: "approved" },
      { id: "cam-b", trust: "approved" },
    ]);
    assert.deepEqual(db.prepare("SELECT camera_id FROM camera_secrets").all(), [
      { camera_id: "cam-a" },
    ]);
    // The secret still belongs to its camera: it goes when the camera goes, as before.
    db.exec("DELETE FROM cameras WHERE id = 'cam-a'");
    assert.deepEqual(db.prepare("SELECT camera_id FROM camera_secrets").all(), []);
    // URNs are claims now: two devices may share one.
    db.exec(
      `INSERT INTO cameras (id, urn, first_seen_ms, last_seen_ms) VALUES
         ('cam-c', 'urn:uuid:x', 1, 1), ('cam-d', 'urn:uuid:x', 1, 1)`,
    );
    db.close();
  });

  it("leaves a database untouched when a migration fails half-way", async (t) => {
    const path = join(await tempDir(t), "camgate.db");
    const db = new BetterSqlite3(path);
    applyMigrations(db, 1);
    // A table in the way makes migration 2 fail after nothing of it may remain.
    db.exec("CREATE TABLE segments (x INTEGER)");
    assert.throws(() => applyMigrations(db), /already exists/);
    assert.equal(schemaVersion(db), 1);
    db.close();
  });

  it("refuses a database written by a newer version, and does not touch it", async (t) => {
    const path = join(await tempDir(t), "camgate.db");
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    assert.throws(
      () => new Store(path, silentLogger()).open(),
      (error: Error) =>
        error instanceof StoreVersionError &&
        error.message.includes(path) &&
        error.message.includes(`schema version ${LATEST_VERSION + 1}`),
    );
    const after = new BetterSqlite3(path);
    assert.equal(schemaVersion(after), LATEST_VERSION + 1);
    after.close();
  });

  it("explains a corrupt file, naming its path", async (t) => {
    const path = join(await tempDir(t), "camgate.db");
    await writeFile(path, Buffer.alloc(8192, 0x5a));
    assert.throws(
      () => new Store(path, silentLogger()).open(),
      (error: Error) =>
        error instanceof StoreOpenError &&
        error.message.includes(path) &&
        /not a valid SQLite/.test(error.message),
    );
  });

  it("explains an unreadable location", async (t) => {
    const dir = await tempDir(t);
    const blocker = join(dir, "file");
    await writeFile(blocker, "x");
    assert.throws(
      () => new Store(join(blocker, "camgate.db"), silentLogger()).open(),
      (error: Error) => error instanceof StoreOpenError && error.message.includes(blocker),
    );
  });
});
