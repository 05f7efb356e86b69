import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { Store } from "../../src/store/index.js";
import { cleanEnv, collect, MAIN_JS, REPO_ROOT, runCamgate, waitForLine } from "../helpers/cli.js";
import { seedCameras, writeRecorderConfig } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";

describe("camgate events tail and the events of recordings", () => {
  it("tail shows the last events, follows new ones of its camera as they are stored, and ends cleanly on Ctrl-C or after --count", async (t) => {
    const dir = await tempDir(t);
    const { config, file } = await writeRecorderConfig(dir, ["site: {id: tail-site}"]);
    await seedCameras(config, [
      { id: "cam-a", ip: "127.0.121.10", streamUri: "rtsp://127.0.121.10/a" },
      { id: "cam-b", ip: "127.0.121.11", streamUri: "rtsp://127.0.121.11/b" },
    ]);
    const writer = new Store(config.store.path, silentLogger());
    const repos = writer.open();
    defer(t, () => writer.close());
    const append = (cameraId: string, kind: string, phase: string) =>
      repos.events.append({
        tsMs: Date.now(),
        cameraId,
        kind,
        detail: { phase, topic: `tns1:${kind}` },
      });
    append("cam-a", "motion", "start");
    append("cam-a", "motion", "end");

    const child = spawn(
      process.execPath,
      [MAIN_JS, "--config", file, "events", "tail", "--camera", "cam-a", "--lines", "1"],
      { cwd: REPO_ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    defer(t, () => child.kill("SIGKILL"));
    const done = collect(child);
    await waitForLine(child, (line) => /cam-a\s+motion\s+end/.test(line));
    append("cam-b", "tamper", "start"); // another camera: not shown
    append("cam-a", "intrusion", "start");
    await waitForLine(child, (line) => /cam-a\s+intrusion\s+start/.test(line));
    for (let index = 0; index < 450; index++) append("cam-a", "line-crossing", "pulse");
    append("cam-a", "intrusion", "end");
    await waitForLine(child, (line) => /cam-a\s+intrusion\s+end/.test(line));
    child.kill("SIGINT");
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 1 + 1 + 450 + 1, "the last one, then each new one once, in order");
    assert.match(lines[0]!, /motion\s+end/);
    assert.ok(!result.stdout.includes("tamper"));
    assert.match(lines.at(-1)!, /intrusion\s+end/);

    // Bounded: --count new events, as JSON lines.
    const counted = spawn(
      process.execPath,
      [MAIN_JS, "--config", file, "--json", "events", "tail", "--lines", "1", "--count", "2"],
      { cwd: REPO_ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    defer(t, () => counted.kill("SIGKILL"));
    const countedDone = collect(counted);
    const last = repos.events.lastId();
    await waitForLine(counted, (line) => line.includes(`"id":${last},`));
    const appended = [
      append("cam-b", "tamper", "end"),
      append("cam-a", "motion", "start"),
      append("cam-a", "motion", "end"),
    ];
    const ended = await countedDone;
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual(
      ended.stdout
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { id: number }).id),
      [last, appended[0], appended[1]],
    );
  });

  it("recordings list counts the camera events each segment holds", async (t) => {
    const dir = await tempDir(t);
    const { config, file } = await writeRecorderConfig(dir, ["site: {id: rec-site}"]);
    await seedCameras(config, [
      { id: "cam-a", ip: "127.0.121.20", streamUri: "rtsp://127.0.121.20/a" },
    ]);
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    const base = Date.parse("2026-11-23T01:00:00.000Z");
    // Two events while the second segment was being recorded, indexed after them.
    for (const second of [12, 15])
      repos.events.append({
        tsMs: base + second * 1000,
        cameraId: "cam-a",
        kind: "motion",
        detail: {},
      });
    for (const second of [0, 10, 20])
      repos.segments.insert({
        cameraId: "cam-a",
        path: `${config.storage.dir}/${second}.ts`,
        startMs: base + second * 1000,
        endMs: base + (second + 10) * 1000,
        bytes: 100,
        sha256: null,
        state: "closed",
      });
    store.close();
    const table = await runCamgate(["--config", file, "recordings", "list", "--camera", "cam-a"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split("\n");
    assert.match(lines[0]!, /LOCKED\s+EVENTS$/);
    const row = (start: string) => lines.find((line) => line.startsWith(`2026-11-23 ${start}`))!;
    assert.match(row("08:00:00"), /closed$/);
    assert.match(row("08:00:10"), /closed\s+2$/);
    assert.match(row("08:00:20"), /closed$/);
  });
});
