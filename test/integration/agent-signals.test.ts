import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { LATEST_VERSION } from "../../src/store/index.js";
import { cleanEnv, collect, MAIN_JS, waitForLine } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/agent-with-fakes.js", import.meta.url));

function journalOf(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith('{"journal"'))
    .map((line) => (JSON.parse(line) as { journal: string }).journal);
}

describe("agent lifecycle under signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`starts in dependency order and stops in reverse on ${signal}, exit 0`, async () => {
      const child = spawn(process.execPath, [FIXTURE], { stdio: ["ignore", "pipe", "pipe"] });
      const done = collect(child);
      await waitForLine(child, (line) => line.includes('"msg":"running"'));
      child.kill(signal);
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(journalOf(result.stdout), [
        "start store",
        "start uplink",
        "start recorder",
        "stop recorder",
        "stop uplink",
        "stop store",
      ]);
      assert.match(result.stdout, /"msg":"stopped cleanly"/);
    });
  }

  it("exits 1 when a component misses the stop deadline, and still stops the others", async () => {
    const child = spawn(process.execPath, [FIXTURE, "--hang"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(child);
    await waitForLine(child, (line) => line.includes('"msg":"running"'));
    child.kill("SIGTERM");
    const result = await done;
    assert.equal(result.code, 1);
    assert.deepEqual(journalOf(result.stdout).slice(3), [
      "stop recorder",
      "stop uplink",
      "stop store",
    ]);
    assert.match(result.stdout, /recorder did not stop within 1500 ms/);
  });

  it("`camgate run` migrates the store, runs, and stops cleanly on SIGTERM", async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, "camgate.yaml");
    const dbPath = join(dir, "state", "camgate.db");
    await writeFile(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${dbPath}\nsecrets:\n  keyFile: ${join(dir, "seal.key")}\ndiscovery:\n  multicast: false\nstorage:\n  dir: ${join(dir, "recordings")}\nlog:\n  format: json\n`,
    );
    const child = spawn(process.execPath, [MAIN_JS, "run", "--config", config], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(child);
    await waitForLine(child, (line) => line.includes('"msg":"running"'));
    child.kill("SIGTERM");
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.trim().split("\n")) {
      const record = JSON.parse(line) as { site?: string };
      assert.equal(record.site, "test-site");
    }
    assert.ok(existsSync(dbPath));
    const db = new BetterSqlite3(dbPath, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), LATEST_VERSION);
    db.close();
  });

  it("`camgate run` on a corrupt database says so with its path, exit 1, no stack trace", async (t) => {
    const dir = await tempDir(t);
    const dbPath = join(dir, "camgate.db");
    await writeFile(dbPath, Buffer.alloc(4096, 0x41));
    const config = join(dir, "camgate.yaml");
    await writeFile(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${dbPath}\nsecrets:\n  keyFile: ${join(dir, "seal.key")}\ndiscovery:\n  multicast: false\nstorage:\n  dir: ${join(dir, "recordings")}\nlog:\n  format: json\n`,
    );
    const child = spawn(process.execPath, [MAIN_JS, "run", "--config", config], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const result = await collect(child);
    assert.equal(result.code, 1);
    const failure = result.stdout
      .split("\n")
      .find((line) => line.includes('"msg":"start failed: '));
    assert.ok(failure, result.stdout);
    assert.ok(failure.includes(dbPath));
    assert.match(failure, /not a valid SQLite database/);
    assert.equal(result.stderr, "");
    assert.doesNotMatch(result.stdout, /\s+at \S+ \(/, "no stack trace for an expected failure");
  });
});
