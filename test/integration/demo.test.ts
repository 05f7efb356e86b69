import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { createConnection } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import type { AuditReport } from "../../src/audit/index.js";
import { demoLayout } from "../../src/demo/index.js";
import type { BoxStatus } from "../../src/health/index.js";
import { cleanEnv, collect, MAIN_JS, runCamgate } from "../helpers/cli.js";
import { waitFor } from "../helpers/recording.js";
import {
  loopbackAddress,
  simulatedAdministrator,
  simulatedProfile,
  UNPRIVILEGED_PORTS,
} from "../../src/sim/index.js";
import { type CleanupScope, defer, tempDir } from "../helpers/temp.js";

async function jsonLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const BASE_IP = "127.0.44.10";
const CAMERAS = 2;

/** Every control's verdict, by id: what a comparison of two audits of one camera looks at. */
function verdicts(report: AuditReport): Record<string, string> {
  return Object.fromEntries(report.controls.map((control) => [control.id, control.status]));
}

/**
 * While the demo runs, a technician's laptop audits each of its cameras (hardened and weak)
 * standing alone: no configuration, the camera's address as discovery gives it, the simulator's
 * credentials on stdin. Every control must get the verdict the demo's signed report (as the center
 * keeps it) gave the same camera.
 */
async function standaloneAuditsAgree(t: CleanupScope, cameraDirs: string[]): Promise<void> {
  const demoReports = new Map<string, AuditReport>();
  for (const camera of cameraDirs) {
    const kept = JSON.parse(await readFile(join(camera, "audit.json"), "utf8")) as {
      payload: { report: AuditReport };
    };
    demoReports.set(kept.payload.report.camera.address, kept.payload.report);
  }
  const laptop = await tempDir(t);
  for (let index = 0; index < CAMERAS; index++) {
    const address = loopbackAddress(BASE_IP, index);
    const profile = simulatedProfile("mixed", index);
    const demoReport = demoReports.get(address);
    assert.ok(demoReport, `the center keeps the demo's audit of ${address}`);
    const admin = simulatedAdministrator("mixed", index);
    const standalone = await runCamgate(
      [
        "audit",
        `${address}:${UNPRIVILEGED_PORTS.http}`,
        "-u",
        admin.username,
        "--password-stdin",
        "--json",
      ],
      { cwd: laptop, input: `${admin.password}\n` },
    );
    assert.match(standalone.stderr, /ad-hoc audit with the default settings/, standalone.stderr);
    const report = JSON.parse(standalone.stdout) as AuditReport;
    assert.equal(report.access?.credentials, "accepted", `${profile} ${address}`);
    assert.equal(demoReport.controls.length, report.controls.length);
    assert.deepEqual(
      verdicts(report),
      verdicts(demoReport),
      `${profile} camera ${address}: the standalone audit (actual) and the demo's (expected)`,
    );
  }
}

describe("camgate demo", () => {
  it("within a minute: cameras discovered, audited (as a standalone audit of each finds them), recording, video at the center; Ctrl-C leaves nothing running", async (t) => {
    const dir = join(await tempDir(t), "demo");
    const layout = demoLayout(dir);
    const child = spawn(
      process.execPath,
      [MAIN_JS, "demo", "--cameras", String(CAMERAS), "--base-ip", BASE_IP, "--dir", dir],
      { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const done = collect(child);
    defer(t, () => (child.exitCode === null ? child.kill("SIGKILL") : undefined));
    const cameraDirs = async () =>
      (await readdir(join(layout.center, "demo-site", "cameras")).catch(() => [])).map((name) =>
        join(layout.center, "demo-site", "cameras", name),
      );
    // The view's line, every 10 s: everything working within the first minute.
    const everything =
      /demo (?:(\d+)m)?(\d+)s: 2 cameras discovered, 2 recording, 2 audited, uplink up, [1-9]\d* segments verified/;
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    await waitFor("a line with everything working", () => everything.test(output), 240_000).catch(
      async (error: unknown) => {
        const log = await readFile(layout.boxLog, "utf8").catch(() => "");
        throw new Error(`${(error as Error).message}\n${output}\n${log.slice(-3000)}`);
      },
    );
    const [, minutes = "0", seconds = "0"] = everything.exec(output) ?? [];
    assert.ok(Number(minutes) * 60 + Number(seconds) <= 60, output);
    for (const camera of await cameraDirs()) {
      const received = await jsonLines(join(camera, "video", "received.jsonl"));
      assert.ok(
        received.some((segment) => segment["verified"] === true),
        camera,
      );
      const audit = JSON.parse(await readFile(join(camera, "audit.json"), "utf8")) as {
        verified?: boolean;
      };
      assert.equal(audit.verified, true, "the signed audit verified at the center");
    }
    await standaloneAuditsAgree(t, await cameraDirs());
    const running = await runCamgate(["status", "--json", "--config", layout.boxConfig]);
    const status = JSON.parse(running.stdout) as BoxStatus;
    assert.equal(status.service.state, "running");
    assert.equal(status.uplink.connected, true);
    // The two cameras: H.265, and H.264 with a G.711 microphone recorded as AAC.
    const db = new BetterSqlite3(join(dir, "box", "camgate.db"), { readonly: true });
    const kinds = db
      .prepare(
        "SELECT DISTINCT video_codec || ' ' || coalesce(audio_codec, '-') AS kind FROM segments",
      )
      .pluck()
      .all();
    db.close();
    assert.deepEqual([...kinds].sort(), ["h264 aac", "hevc -"]);

    child.kill("SIGINT");
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`everything is under ${dir}`));
    assert.ok((await stat(layout.auditReport)).size > 1000, "the audit report, as HTML");
    assert.match(await readFile(layout.auditReport, "utf8"), /<!doctype html>/);
    for (const camera of await cameraDirs()) {
      const received = await jsonLines(join(camera, "video", "received.jsonl"));
      assert.ok(received.every((segment) => segment["verified"] === true));
      // A finished segment leaves its file alone: no .part bookkeeping beside it.
      const files = await readdir(join(camera, "video"));
      const finished = new Set(received.map((segment) => String(segment["segmentId"])));
      assert.deepEqual(
        files.filter((name) => name.includes(".part") && finished.has(name.split(".")[0] ?? "")),
        [],
      );
    }
    const log = await readFile(layout.boxLog, "utf8");
    assert.doesNotMatch(log, /"level":50/, "no error in the box log");
    assert.ok(!result.stderr.includes("Error"), result.stderr);
    // Ctrl-C leaves nothing running: no process of the demo's (mosquitto, ffmpeg), no camera.
    const leftovers: string[] = [];
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      if (command.includes(dir)) leftovers.push(command.replaceAll("\0", " "));
    }
    assert.deepEqual(leftovers, []);
    const rtsp = createConnection({ host: "127.0.44.10", port: 8554 });
    const refused = await new Promise<boolean>((resolve) => {
      rtsp.once("connect", () => resolve(false)).once("error", () => resolve(true));
    });
    rtsp.destroy();
    assert.ok(refused, "the simulated cameras are gone");
    const after = await runCamgate(["status", "--json", "--config", layout.boxConfig]);
    assert.equal((JSON.parse(after.stdout) as BoxStatus).service.state, "stopped");
    // Nobody watches the cameras now: the table claims none online.
    const table = await runCamgate(["status", "--config", layout.boxConfig]);
    assert.match(table.stdout, /^cam-\S+\s+127\.0\.44\.\d+\s+-\s/m);
    assert.doesNotMatch(table.stdout, /^cam-\S+\s+127\.0\.44\.\d+\s+yes\s/m);
  });
});
