import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { demoLayout } from "../../src/demo/index.js";
import type { BoxStatus } from "../../src/health/index.js";
import { cleanEnv, collect, MAIN_JS, runCamgate } from "../helpers/cli.js";
import { waitFor } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";

async function jsonLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("camgate demo", () => {
  it("discovers, audits, records and forwards simulated cameras to the center, and stops on Ctrl-C", async (t) => {
    const dir = join(await tempDir(t), "demo");
    const layout = demoLayout(dir);
    const child = spawn(
      process.execPath,
      [MAIN_JS, "demo", "--cameras", "2", "--base-ip", "127.0.44.10", "--dir", dir],
      { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const done = collect(child);
    defer(t, () => (child.exitCode === null ? child.kill("SIGKILL") : undefined));
    const cameraDirs = async () =>
      (await readdir(join(layout.center, "demo-site", "cameras")).catch(() => [])).map((name) =>
        join(layout.center, "demo-site", "cameras", name),
      );
    await waitFor(
      "both cameras at the center with verified video and a signed audit",
      async () => {
        const cameras = await cameraDirs();
        if (cameras.length !== 2) return false;
        for (const camera of cameras) {
          const received = await jsonLines(join(camera, "video", "received.jsonl"));
          const audit = JSON.parse(
            await readFile(join(camera, "audit.json"), "utf8").catch(() => "{}"),
          ) as { verified?: boolean };
          if (!received.some((segment) => segment["verified"] === true)) return false;
          if (audit.verified !== true) return false;
        }
        return true;
      },
      240_000,
    ).catch(async (error: unknown) => {
      const log = await readFile(layout.boxLog, "utf8").catch(() => "");
      throw new Error(`${(error as Error).message}\n${log.slice(-3000)}`);
    });
    const running = await runCamgate(["status", "--json", "--config", layout.boxConfig]);
    const status = JSON.parse(running.stdout) as BoxStatus;
    assert.equal(status.service.state, "running");
    assert.equal(status.uplink.connected, true);

    child.kill("SIGINT");
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /2\/2 cameras recording, uplink up/);
    assert.match(result.stdout, new RegExp(`everything is under ${dir}`));
    assert.ok((await stat(layout.auditReport)).size > 1000, "the audit report, as HTML");
    assert.match(await readFile(layout.auditReport, "utf8"), /<!doctype html>/);
    for (const camera of await cameraDirs()) {
      const received = await jsonLines(join(camera, "video", "received.jsonl"));
      assert.ok(received.every((segment) => segment["verified"] === true));
    }
    const log = await readFile(layout.boxLog, "utf8");
    assert.doesNotMatch(log, /"level":50/, "no error in the box log");
    assert.ok(!result.stderr.includes("Error"), result.stderr);
    const after = await runCamgate(["status", "--json", "--config", layout.boxConfig]);
    assert.equal((JSON.parse(after.stdout) as BoxStatus).service.state, "stopped");
  });
});
