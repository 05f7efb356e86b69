import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { runtimeStatusPath } from "../../src/health/index.js";
import type { BoxStatus } from "../../src/health/index.js";
import { runCamgate } from "../helpers/cli.js";
import { seedCameras, writeRecorderConfig } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";

const REFUSED =
  "its stream (mjpeg) cannot be stored without transcoding (MPEG-TS has no stream type for it); set the camera to H.264 or H.265";
const REFUSED_VI =
  "luồng của camera (mjpeg) không lưu được nếu không chuyển mã (MPEG-TS không có loại luồng cho định dạng này); hãy đặt camera sang H.264 hoặc H.265";

describe("camgate status: what it says and what it does not", () => {
  it("no uplink: no word about a certificate; a refused camera's reason in both languages", async (t) => {
    const dir = await tempDir(t);
    const { config, file } = await writeRecorderConfig(dir, [
      `uplink: {brokers: [], cert: ${dir}/no-such-box.pem}`,
    ]);
    await seedCameras(config, [
      { id: "mjpeg-cam", ip: "127.0.100.20", streamUri: "rtsp://127.0.100.20:8554/mjpeg" },
    ]);
    // What the running agent (this process, for the test) writes beside the store.
    const now = new Date().toISOString();
    await writeFile(
      runtimeStatusPath(config.store.path),
      JSON.stringify({
        schema: "camgate.runtime/1",
        pid: process.pid,
        site: "rec-site",
        version: "test",
        state: "running",
        startedAt: now,
        updatedAt: now,
        intervalMs: 600_000,
        uplink: null,
        recording: { "mjpeg-cam": false },
        refused: { "mjpeg-cam": REFUSED },
        refusedVi: { "mjpeg-cam": REFUSED_VI },
      }),
    );
    const json = await runCamgate(["status", "--json", "--config", file]);
    const report = JSON.parse(json.stdout) as BoxStatus;
    assert.equal(report.certificate, null);
    assert.deepEqual(
      report.attention.filter((reason) => /certificate/i.test(reason)),
      [],
      report.attention.join("\n"),
    );
    assert.ok(
      report.attention.includes(
        `camera mjpeg-cam is not recording: ${REFUSED} / camera mjpeg-cam không được ghi: ${REFUSED_VI}`,
      ),
      report.attention.join("\n"),
    );
    const text = await runCamgate(["status", "--config", file]);
    assert.equal(text.code, 1, "a refused camera needs attention");
    assert.match(text.stdout, /^cert {6}not used \(no uplink\)$/m);
    assert.match(text.stdout, /mjpeg-cam +127\.0\.100\.20 +yes +refused/);
    assert.ok(text.stdout.includes(REFUSED_VI), text.stdout);
  });
});
