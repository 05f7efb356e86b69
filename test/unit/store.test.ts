import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { Store } from "../../src/store/index.js";

describe("store", () => {
  it("opens the database durable, with foreign keys, and with SQLite's 2 MiB page cache", async () => {
    const dir = await mkdtemp(join(tmpdir(), "camgate-store-"));
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    try {
      store.open();
      const pragma = (name: string) => store.db.pragma(name, { simple: true });
      assert.equal(pragma("journal_mode"), "wal");
      assert.equal(pragma("synchronous"), 2); // FULL
      assert.equal(pragma("foreign_keys"), 1);
      // better-sqlite3 builds SQLite with a 16 MiB cache, resident in the agent for good.
      assert.equal(pragma("cache_size"), -2048);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
