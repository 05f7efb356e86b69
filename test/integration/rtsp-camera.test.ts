import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type AuditReport, ONVIF_ONLY_CONTROLS } from "../../src/audit/index.js";
import type { BoxStatus } from "../../src/health/index.js";
import { cleanEnv, MAIN_JS, REPO_ROOT, runCamgate } from "../helpers/cli.js";
import { incomingDir } from "../../src/recorder/index.js";
import {
  decodeErrors,
  segmentFiles,
  startGstRtspMounts,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";

const CREDENTIALS = { username: "operator", password: "P@ss:w/rd#?%9" };

interface Listed {
  segments: { path: string; codec: string | null; state: string }[];
}

describe("a camera without ONVIF, added by its RTSP URL", () => {
  it("is recorded by camgate run, and audited without ONVIF: what needs it is skipped, with why", async (t) => {
    const dir = await tempDir(t);
    // Two cameras of one GStreamer server: H.264, and MJPEG (which the recorder refuses).
    const base = await startGstRtspMounts(
      t,
      "127.0.100.30",
      8554,
      ["/live", "/mjpeg?video=mjpeg"],
      CREDENTIALS,
    );
    const gst = `${base}/live`;
    const recordings = join(dir, "recordings");
    const { config, file } = await writeRecorderConfig(dir, [
      `storage: {dir: ${recordings}, segmentSeconds: 2, minFreeBytes: 0}`,
      "recorder: {connectTimeout: 10s, restartDelayMax: 2s}",
      "audit: {enabled: false, probeTimeout: 1s, credentialTrySpacing: 100ms}",
    ]);
    // A URL with credentials in it is refused, and says so in both languages.
    const withPassword = gst.replace(
      "rtsp://",
      `rtsp://admin:${encodeURIComponent(CREDENTIALS.password)}@`,
    );
    const refused = await runCamgate(
      [
        "--config",
        file,
        "cameras",
        "add",
        "--rtsp",
        withPassword,
        "-u",
        "admin",
        "--password-stdin",
      ],
      { input: CREDENTIALS.password },
    );
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /holds a username or password.* \/ .*chứa tên đăng nhập hoặc mật khẩu/,
    );
    assert.ok(!refused.stderr.includes("P%40ss"), "the password in a refused URL is not echoed");
    const added = await runCamgate(
      [
        ...["--config", file, "cameras", "add", "--rtsp", gst, "--name", "Gate"],
        ...["-u", CREDENTIALS.username, "--password-stdin", "--json"],
      ],
      { input: CREDENTIALS.password },
    );
    assert.equal(added.code, 0, added.stderr);
    const { id, change } = JSON.parse(added.stdout) as { id: string; change: string };
    assert.equal(change, "new");
    const listed = JSON.parse(
      (await runCamgate(["--config", file, "cameras", "list", "--json"])).stdout,
    ) as { id: string; trust: string; xaddrs: string[]; hasCredentials: boolean; name: string }[];
    assert.deepEqual(
      listed.map((c) => [c.id, c.trust, c.xaddrs, c.hasCredentials, c.name]),
      [[id, "approved", [], true, "Gate"]],
    );
    const db = await readFile(config.store.path);
    assert.ok(!db.includes(CREDENTIALS.password), "the password is sealed, not stored in clear");
    assert.ok(db.includes(Buffer.from(gst)), "the URL is stored as given, without credentials");
    const mjpeg = await runCamgate(
      [
        ...["--config", file, "cameras", "add", "--rtsp", `${base}/mjpeg`, "--json"],
        ...["-u", CREDENTIALS.username, "--password-stdin"],
      ],
      { input: CREDENTIALS.password },
    );
    assert.equal(mjpeg.code, 0, mjpeg.stderr);
    const mjpegId = (JSON.parse(mjpeg.stdout) as { id: string }).id;

    const agent = spawn(process.execPath, [MAIN_JS, "run", "--config", file], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: "ignore",
    });
    const exited = once(agent, "exit");
    defer(t, async () => {
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill("SIGKILL");
        await exited;
      }
    });
    const segments = async () => {
      const result = await runCamgate([
        ...["--config", file, "recordings", "list", "--camera", id, "--json"],
      ]);
      return result.code === 0 ? (JSON.parse(result.stdout) as Listed).segments : [];
    };
    // Closed segments are filed out of the camera's incoming directory.
    const filed = async () =>
      (await segmentFiles(join(recordings, id))).filter(
        (f) => !f.path.startsWith(incomingDir(recordings, id)),
      );
    await waitFor(
      "two segments of the RTSP camera",
      async () => (await filed()).length >= 2,
      60_000,
    );
    // The MJPEG camera is not recorded, and status says why, in English and Vietnamese.
    let boxStatus: BoxStatus | undefined;
    await waitFor(
      "the MJPEG camera's refusal in status",
      async () => {
        const result = await runCamgate(["--config", file, "status", "--json"]);
        boxStatus = JSON.parse(result.stdout) as BoxStatus;
        return boxStatus.cameras.some((camera) => camera.id === mjpegId && camera.refused !== null);
      },
      60_000,
      1000,
    );
    const refusedCamera = boxStatus?.cameras.find((camera) => camera.id === mjpegId);
    assert.match(refusedCamera?.refused ?? "", /its stream \(mjpeg\) cannot be stored/);
    assert.match(refusedCamera?.refusedVi ?? "", /luồng của camera \(mjpeg\) không lưu được/);
    assert.ok(
      boxStatus?.attention.some(
        (reason) =>
          reason.startsWith(`camera ${mjpegId} is not recording: its stream (mjpeg)`) &&
          reason.includes(`/ camera ${mjpegId} không được ghi: luồng của camera (mjpeg)`),
      ),
      boxStatus?.attention.join("\n"),
    );
    agent.kill("SIGTERM");
    await exited;
    const recorded = await segments();
    assert.ok(recorded.length >= 2, "the filed segments are indexed");
    assert.ok(recorded.every((segment) => segment.codec === "h264"));
    assert.equal(await decodeErrors(recorded[0]!.path), "", "the first segment decodes");

    const audit = await runCamgate(["--config", file, "audit", id, "--json"]);
    assert.equal(audit.code, 0, audit.stderr);
    const report = JSON.parse(audit.stdout) as AuditReport;
    assert.equal(report.access?.interrogation, "onvif-off");
    const status = (control: string) => report.controls.find((c) => c.id === control);
    for (const control of ONVIF_ONLY_CONTROLS) {
      const result = status(control);
      assert.equal(result?.status, "skipped", control);
      const evidence = result.evidence[0];
      assert.match(evidence?.note ?? "", /ONVIF is off on this camera/, control);
      assert.match(evidence?.vi?.note ?? "", /camera này tắt ONVIF/, control);
    }
    // Without ONVIF it still probes: its RTSP asks for credentials (Digest only, no Basic).
    assert.equal(status("auth.unauthenticated-rtsp")?.status, "pass");
    assert.equal(status("auth.supplied-password-strength")?.status, "pass");
    assert.ok(
      ["services.telnet", "services.ftp", "comms.https-management"].every(
        (control) => status(control)?.status !== "skipped",
      ),
    );
    const text = await runCamgate(["--config", file, "audit", id, "--lang", "vi"]);
    assert.match(
      text.stdout,
      new RegExp(
        `^ONVIF TẮT: camera ${id} được thêm bằng địa chỉ RTSP; ${ONVIF_ONLY_CONTROLS.size} mục cần ONVIF chưa được kiểm tra`,
      ),
    );
  });
});
