import assert from "node:assert/strict";
import { formatDateTime } from "../../src/i18n/index.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { silentLogger } from "../../src/log/index.js";
import { hashFile, type RecorderService } from "../../src/recorder/index.js";
import { Simulator } from "../../src/sim/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import {
  probeVideo,
  seedCameras,
  segmentFiles,
  startGstRtspServer,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { Cleanups, tempDir } from "../helpers/temp.js";

// One agent records six simulated cameras and one GStreamer camera for a minute. Cameras 0-3
// and the GStreamer one run undisturbed; camera 0's ffmpeg is killed, camera 4 is switched off
// for 30 s, camera 5's stream stalls.
describe("recorder: real ffmpeg, the simulator's and GStreamer's RTSP servers", () => {
  const sim = new Simulator({
    baseIp: "127.0.30.10",
    cameras: 6,
    profile: "hardened",
    ffmpeg: "ffmpeg",
    multicast: false,
    discoveryPort: 43730,
  });
  let dir = "";
  let configFile = "";
  const closed: SegmentRecord[] = [];
  const boxEvents: AgentEvents["boxEvent"][] = [];
  let store: Store | undefined;
  const cleanups = new Cleanups();
  const ids = ["sim-0", "sim-1", "sim-2", "sim-3", "sim-4", "sim-5", "gst"];
  const undisturbed = ["sim-1", "sim-2", "sim-3", "gst"];

  before(async () => {
    await sim.start();
    dir = await tempDir(cleanups, "camgate-recorder-");
    const gstUrl = await startGstRtspServer(cleanups, "127.0.30.40", 8554);
    const lines = [
      `storage: {dir: ${join(dir, "recordings")}, segmentSeconds: 10, minFreeBytes: 0}`,
      // ffmpeg's own socket timeout above the stall watchdog, so the watchdog is what is tested.
      "recorder: {connectTimeout: 60s, restartDelayMax: 2s}",
    ];
    const written = await writeRecorderConfig(dir, lines);
    configFile = written.file;
    const { config } = written;
    await seedCameras(config, [
      ...sim.describe().map((camera, index) => ({
        id: `sim-${index}`,
        ip: camera.address,
        streamUri: camera.streams[0] ?? "",
        credentials: { username: camera.username, password: camera.password },
      })),
      { id: "gst", ip: "127.0.30.40", streamUri: gstUrl },
    ]);
    const agent = Agent.fromConfig(config, silentLogger());
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    agent.bus.on("boxEvent", (event) => boxEvents.push(event));
    await agent.start(new AbortController().signal);
    store = agent.components.find((c) => c.name === "store") as Store;
    const recorder = agent.components.find((c) => c.name === "recorder") as RecorderService;
    const segmentsOf = (id: string) => closed.filter((s) => s.cameraId === id);

    const killOneFfmpeg = async () => {
      await waitFor("sim-0 recording", () => segmentsOf("sim-0").length >= 1, 60_000);
      const pid = recorder.processes().get("sim-0");
      assert.ok(pid);
      process.kill(pid, "SIGKILL");
      await waitFor(
        "a new ffmpeg for sim-0",
        () => ![undefined, pid].includes(recorder.processes().get("sim-0")),
        60_000,
      );
      const killedAt = Date.now();
      await waitFor(
        "sim-0 recording again",
        () => segmentsOf("sim-0").some((s) => s.startMs >= killedAt - 2000),
        90_000,
      );
    };
    const switchOffCamera = async () => {
      await waitFor("sim-4 recording", () => segmentsOf("sim-4").length >= 1, 60_000);
      const camera = sim.cameras[4];
      assert.ok(camera);
      await camera.stop();
      await sleep(30_000);
      await camera.start();
      await waitFor(
        "sim-4 resumed",
        () => boxEvents.some((e) => e.cameraId === "sim-4" && e.kind === "recording_resumed"),
        120_000,
      );
    };
    const stallStream = async () => {
      await waitFor("sim-5 recording", () => segmentsOf("sim-5").length >= 1, 60_000);
      const camera = sim.cameras[5];
      assert.ok(camera);
      camera.setStalled(true);
      await waitFor(
        "the stall detected",
        () =>
          boxEvents.some(
            (e) =>
              e.cameraId === "sim-5" &&
              e.kind === "recording_restarted" &&
              e.detail.reason === "stalled",
          ),
        120_000,
      );
      camera.setStalled(false);
      const unstalledAt = Date.now();
      await waitFor(
        "sim-5 recording again",
        () => segmentsOf("sim-5").some((s) => s.startMs >= unstalledAt - 1000),
        120_000,
      );
    };
    await Promise.all([killOneFfmpeg(), switchOffCamera(), stallStream(), sleep(60_000)]);
    await agent.stop();
  });

  after(async () => {
    store?.close();
    await sim.stop();
    await cleanups.run();
  });

  it("records every camera into ~6 playable, contiguous 10 s segments per minute", async () => {
    for (const id of undisturbed) {
      const segments = closed
        .filter((s) => s.cameraId === id)
        .sort((a, b) => a.startMs - b.startMs);
      assert.ok(segments.length >= 5, `${id}: ${segments.length} segments`);
      for (const [index, segment] of segments.entries()) {
        const previous = segments[index - 1];
        if (previous)
          assert.ok(
            Math.abs(segment.startMs - previous.endMs) <= 1000,
            `${id}: segment ${index} follows the one before`,
          );
        const media = await probeVideo(segment.path);
        assert.equal(media.codec, "h264");
        assert.ok(media.durationSec > 0.5, `${segment.path} plays (${media.durationSec} s)`);
        if (index > 0 && index < segments.length - 1)
          assert.ok(
            Math.abs(segment.endMs - segment.startMs - 10_000) <= 1500,
            `${id}: segment ${index} is ~10 s`,
          );
      }
    }
  });

  it("keeps index rows and files identical, byte for byte", async () => {
    const files = await segmentFiles(join(dir, "recordings"));
    assert.equal(
      files.filter((f) => f.path.includes("/.incoming/")).length,
      0,
      "nothing left open",
    );
    assert.ok(store);
    const rows = [...store.open().segments.stored()];
    assert.equal(rows.length, files.length);
    const byPath = new Map(files.map((f) => [f.path, f]));
    for (const row of rows) {
      const file = byPath.get(row.path);
      assert.ok(file, `${row.path} exists`);
      const facts = await hashFile(row.path);
      assert.deepEqual(facts, { sha256: row.sha256, bytes: row.bytes });
    }
    assert.ok(rows.some((r) => r.cameraId === "gst"));
    assert.equal(new Set(rows.map((r) => r.cameraId)).size, ids.length);
  });

  it("restarts a killed ffmpeg and detects a stalled stream", () => {
    const restarts = boxEvents.filter((e) => e.kind === "recording_restarted");
    assert.ok(
      restarts.some((e) => e.cameraId === "sim-0"),
      "sim-0 restarted after kill -9",
    );
    assert.ok(restarts.some((e) => e.cameraId === "sim-5" && e.detail.reason === "stalled"));
  });

  it("records the gap of a camera switched off for 30 s and resumes on its own", async () => {
    const offline = boxEvents.find((e) => e.cameraId === "sim-4" && e.kind === "camera_offline");
    assert.ok(offline, "camera_offline event");
    const listed = await runCamgate([
      "recordings",
      "list",
      "--camera",
      "sim-4",
      "--json",
      "--config",
      configFile,
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const body = JSON.parse(listed.stdout) as { gaps: { seconds: number }[]; segments: unknown[] };
    const gap = body.gaps.find((g) => g.seconds >= 25);
    assert.ok(gap, `a gap of about 30 s: ${JSON.stringify(body.gaps)}`);
    assert.ok(gap.seconds < 60, `gap ${gap.seconds} s`);
    const stats = await runCamgate(["recordings", "stats", "--json", "--config", configFile]);
    const parsed = JSON.parse(stats.stdout) as { cameras: { camera: string; gaps: number }[] };
    assert.ok((parsed.cameras.find((c) => c.camera === "sim-4")?.gaps ?? 0) >= 1);
  });

  it("exports a range as one playable MP4 with its sources, locks and logs it", async () => {
    assert.ok(store);
    const segments = store.open().segments.overlapping("sim-2", 0, Number.MAX_SAFE_INTEGER);
    const first = segments[1];
    const third = segments[3];
    assert.ok(first && third);
    const from = new Date(first.startMs + 2000).toISOString();
    const to = new Date(third.startMs + 3000).toISOString();
    const output = join(dir, "clip.mp4");
    const exported = await runCamgate([
      ...["recordings", "export", "--camera", "sim-2", "--from", from, "--to", to],
      ...["-o", output, "--purpose", "test", "--json", "--config", configFile],
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const sidecar = JSON.parse(await readFile(`${output}.json`, "utf8")) as {
      segments: { id: number; sha256: string }[];
      parts: { path: string; sha256: string }[];
    };
    assert.deepEqual(
      sidecar.parts.map((part) => part.path),
      [output],
      "one kind of video: one file",
    );
    assert.deepEqual(
      sidecar.segments.map((s) => s.id),
      segments.slice(1, 4).map((s) => s.id),
      "exactly the covering segments",
    );
    assert.deepEqual(
      sidecar.segments.map((s) => s.sha256),
      segments.slice(1, 4).map((s) => s.sha256),
    );
    assert.equal(sidecar.parts[0]?.sha256, (await hashFile(output)).sha256);
    const media = await probeVideo(output);
    assert.equal(media.codec, "h264");
    // 21 s asked; copy cuts at keyframes, so up to one keyframe interval more.
    assert.ok(media.durationSec >= 20 && media.durationSec <= 24, `${media.durationSec} s`);

    const locked = await runCamgate([
      ...["recordings", "lock", "--camera", "sim-2", "--from", from, "--to", to],
      ...["--until", new Date(Date.now() + 86_400_000).toISOString(), "--reason", "case 42"],
      ...["--config", configFile],
    ]);
    assert.equal(locked.code, 0, locked.stderr);
    assert.match(locked.stdout, /locked 3 segments/);
    const entries = store.open().accessLog.list(10);
    assert.deepEqual(entries.map((e) => [e.action, e.result, e.purpose]).reverse(), [
      ["recordings.export", "ok", "test"],
      ["recordings.lock", "ok", "case 42"],
    ]);
    assert.equal(store.open().accessLog.verify().ok, true);
    // A technician types site time (Asia/Ho_Chi_Minh by default): the same range as in UTC ISO.
    const listed = async (fromText: string, toText: string, json = true) =>
      runCamgate([
        ...["recordings", "list", "--camera", "sim-2", "--from", fromText, "--to", toText],
        ...(json ? ["--json"] : []),
        ...["--config", configFile],
      ]);
    const siteTime = (iso: string) => formatDateTime(iso, "Asia/Ho_Chi_Minh");
    const byIso = JSON.parse((await listed(from, to)).stdout) as { segments: { id: number }[] };
    const byLocal = JSON.parse((await listed(siteTime(from), siteTime(to))).stdout) as {
      segments: { id: number }[];
    };
    assert.ok(byIso.segments.length >= 3);
    assert.deepEqual(byLocal.segments, byIso.segments);
    // ...and names the camera by its address if that is what is on the sticker.
    const byAddress = JSON.parse(
      (
        await runCamgate([
          ...["recordings", "list", "--camera", sim.describe()[2]!.address, "--from", from],
          ...["--to", to, "--json", "--config", configFile],
        ])
      ).stdout,
    ) as { camera: string; segments: { id: number }[] };
    assert.equal(byAddress.camera, "sim-2");
    assert.deepEqual(byAddress.segments, byIso.segments);
    const table = (await listed(siteTime(from), siteTime(to), false)).stdout;
    assert.match(table, /^START \(UTC\+07:00\) +END/);
    assert.ok(table.includes(siteTime(new Date(first.startMs).toISOString())), table);
    const refused = await runCamgate([
      ...["recordings", "export", "--camera", "sim-2", "--from", "yesterday", "--to", to],
      ...["-o", output, "--config", configFile],
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--from: not a time/);
  });
});
