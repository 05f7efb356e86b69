import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { notifyEnvironment, readRuntimeStatus, statusLine } from "../../src/health/index.js";
import { tempDir } from "../helpers/temp.js";

describe("systemd environment", () => {
  it("pings the watchdog at half its period, only when it watches this process", () => {
    const env = { NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "30000000" };
    assert.deepEqual(notifyEnvironment(env, 42), {
      socketPath: "/run/systemd/notify",
      watchdogEveryMs: 15_000,
    });
    assert.equal(notifyEnvironment({ ...env, WATCHDOG_PID: "42" }, 42)?.watchdogEveryMs, 15_000);
    assert.equal(notifyEnvironment({ ...env, WATCHDOG_PID: "7" }, 42)?.watchdogEveryMs, undefined);
    assert.equal(notifyEnvironment({ NOTIFY_SOCKET: "/x" }, 42)?.watchdogEveryMs, undefined);
    assert.equal(notifyEnvironment({ WATCHDOG_USEC: "1" }, 42), undefined, "not under systemd");
  });

  it("says in one line what records and whether the link is up", () => {
    const up = { connected: true, broker: "mqtts://c", since: 1, lastError: null };
    assert.equal(
      statusLine({ uplink: up, recording: { a: true, b: true } }),
      "2 cameras recording, uplink up",
    );
    assert.equal(
      statusLine({
        uplink: { ...up, connected: false, lastError: "connect ECONNREFUSED" },
        recording: { a: true, b: false },
      }),
      "1 of 2 cameras recording, uplink down: connect ECONNREFUSED",
    );
    assert.equal(statusLine({ uplink: null, recording: null }), "recorder off, no uplink");
  });
});

describe("runtime status file", () => {
  const base = {
    schema: "camgate.runtime/1",
    site: "s",
    version: "0.1.0",
    state: "running",
    startedAt: "2026-11-23T00:00:00.000Z",
    intervalMs: 5000,
    uplink: null,
    recording: null,
  };

  it("tells running, stale, stopping and stopped apart", async (t) => {
    const file = join(await tempDir(t), "runtime.json");
    const now = Date.parse("2026-11-23T12:00:00.000Z");
    const write = (fields: Record<string, unknown>) =>
      writeFile(file, JSON.stringify({ ...base, pid: process.pid, ...fields }));
    assert.equal((await readRuntimeStatus(file, now)).service, "stopped", "no file");
    await write({ updatedAt: "2026-11-23T11:59:58.000Z" });
    assert.equal((await readRuntimeStatus(file, now)).service, "running");
    await write({ updatedAt: "2026-11-23T11:59:00.000Z" });
    assert.equal((await readRuntimeStatus(file, now)).service, "stale", "silent for a minute");
    await write({ updatedAt: "2026-11-23T11:59:58.000Z", state: "stopping" });
    assert.equal((await readRuntimeStatus(file, now)).service, "stopping");
    await write({ updatedAt: "2026-11-23T11:59:58.000Z", pid: 2 ** 22 + 1 });
    assert.equal((await readRuntimeStatus(file, now)).service, "stopped", "its process is gone");
    await writeFile(file, "{not json");
    assert.equal((await readRuntimeStatus(file, now)).service, "stopped", "unreadable");
  });
});
