import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { silentLogger } from "../../src/log/index.js";
import { hashFile, segmentPath } from "../../src/recorder/index.js";
import { Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import { writeRecorderConfig } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const T0 = Date.parse("2026-11-23T02:00:00Z");

// An index written by a recorder that trusted a camera's jumping clock: a 2 s file indexed as an
// hour. ffmpeg joins it into an MP4 whose video lasts nothing, and exits 0.
it("recordings export fails, writing nothing, when the MP4 is not what was recorded", async (t) => {
  const dir = await tempDir(t);
  const { config, file: configFile } = await writeRecorderConfig(dir, [
    `storage: {dir: ${join(dir, "recordings")}, minFreeBytes: 0}`,
  ]);
  const path = segmentPath(config.storage.dir, "cam-a", T0, "run-000001.ts");
  await mkdir(dirname(path), { recursive: true });
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"],
    ...["-t", "2", "-c:v", "libx264", "-g", "10", "-f", "mpegts", path],
  ]);
  const store = new Store(config.store.path, silentLogger());
  store.open().segments.insert({
    cameraId: "cam-a",
    path,
    startMs: T0,
    endMs: T0 + 3_600_000,
    ...(await hashFile(path)),
    state: "closed",
  });
  store.close();

  const output = join(dir, "clip.mp4");
  const exported = await runCamgate([
    ...["recordings", "export", "--camera", "cam-a"],
    ...[
      "--from",
      new Date(T0 + 100_000).toISOString(),
      "--to",
      new Date(T0 + 200_000).toISOString(),
    ],
    ...["-o", output, "--config", configFile],
  ]);
  assert.equal(exported.code, 1, exported.stdout);
  assert.match(exported.stderr, /the export is not what was recorded: it holds no frames/);
  await assert.rejects(stat(output), { code: "ENOENT" });
  await assert.rejects(stat(`${output}.json`), { code: "ENOENT" });
  await assert.rejects(stat(join(dir, ".clip.mp4.partial")), { code: "ENOENT" });
  const reopened = new Store(config.store.path, silentLogger());
  const [entry] = reopened.open().accessLog.list(1);
  reopened.close();
  assert.deepEqual([entry?.action, entry?.result], ["recordings.export", "error"]);
});
