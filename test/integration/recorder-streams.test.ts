import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { silentLogger } from "../../src/log/index.js";
import { EventLog } from "../../src/events/index.js";
import {
  CameraRecorder,
  type ExportResult,
  type RecorderService,
} from "../../src/recorder/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import {
  decodeErrors,
  frameSizes,
  probeVideo,
  seedCameras,
  segmentFiles,
  startGstRtspMounts,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { RtpJumpRelay } from "../helpers/rtp-jump-relay.js";
import { Cleanups, tempDir } from "../helpers/temp.js";

const SEGMENT_SECONDS = 4;

function target(cameraId: string, url: string) {
  return {
    cameraId,
    profileToken: "main",
    url,
    displayUrl: url,
    allowBasicAuth: false,
    secrets: [],
  };
}
const NOMINAL_MS = SEGMENT_SECONDS * 1000;

// One GStreamer server, three cameras a recorder meets in the field: one whose clock jumps an
// hour ahead, then ten minutes back (a relay written here rewrites the RTP timestamps); one whose
// resolution changes while it streams (a settings change); one that sends MJPEG. A fourth
// recorder reads the jumping camera around the agent's RTSP relay, which then sees no jump: the
// segments ffmpeg writes across the jumps must be cut all the same.
describe("recorder: streams that break, from GStreamer's RTSP server", () => {
  const cleanups = new Cleanups();
  let dir = "";
  let configFile = "";
  let store: Store | undefined;
  let recorder: RecorderService | undefined;
  const closed: SegmentRecord[] = [];
  const events: AgentEvents["boxEvent"][] = [];
  const cameras = ["jumpy", "grow", "mjpeg"];
  const eventsOf = (cameraId: string, kind: string) =>
    events.filter((event) => event.cameraId === cameraId && event.kind === kind);

  before(async () => {
    dir = await tempDir(cleanups, "camgate-streams-");
    // The size changes 25 s after the server starts: the agent has recorded a few segments.
    const gst = await startGstRtspMounts(cleanups, "127.0.36.40", 8554, [
      "/jump",
      "/grow?size=320x240&resize=640x360@25",
      "/mjpeg?video=mjpeg",
      "/hevc?video=h265&size=320x240&fps=10&kbps=200",
    ]);
    const jumpRelay = new RtpJumpRelay({ host: "127.0.36.40", port: 8554 });
    const jumpy = await jumpRelay.start(cleanups, "127.0.36.41", 8554);
    const blindRelay = new RtpJumpRelay({ host: "127.0.36.40", port: 8554 });
    const blind = await blindRelay.start(cleanups, "127.0.36.44", 8554);
    const written = await writeRecorderConfig(dir, [
      `storage: {dir: ${join(dir, "recordings")}, segmentSeconds: ${SEGMENT_SECONDS}, minFreeBytes: 0}`,
      "recorder: {connectTimeout: 10s, restartDelayMax: 2s}",
    ]);
    configFile = written.file;
    await seedCameras(written.config, [
      { id: "jumpy", ip: "127.0.36.41", streamUri: `${jumpy}/jump` },
      { id: "grow", ip: "127.0.36.42", streamUri: `${gst}/grow` },
      { id: "mjpeg", ip: "127.0.36.43", streamUri: `${gst}/mjpeg` },
      { id: "hevc", ip: "127.0.36.45", streamUri: `${gst}/hevc` },
    ]);
    const agent = Agent.fromConfig(written.config, silentLogger());
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    agent.bus.on("boxEvent", (event) => events.push(event));
    await agent.start(new AbortController().signal);
    store = agent.components.find((c) => c.name === "store") as Store;
    recorder = agent.components.find((c) => c.name === "recorder") as RecorderService;
    const segmentsOf = (id: string) => closed.filter((s) => s.cameraId === id).length;
    const unguarded = new CameraRecorder({
      target: { ...target("blind", `${blind}/jump`) },
      ffmpeg: "ffmpeg",
      ffprobe: "ffprobe",
      // ffmpeg reads the camera directly: nothing watches the stream before it.
      relay: { open: () => ({ url: `${blind}/jump`, revoke: () => undefined }) },
      storageDir: join(dir, "recordings"),
      segmentSeconds: SEGMENT_SECONDS,
      connectTimeoutMs: 10_000,
      restartDelayMaxMs: 2000,
      segments: store.open().segments,
      events: new EventLog(store, agent.bus, silentLogger()),
      bus: agent.bus,
      space: { makeRoom: async () => undefined },
      logger: silentLogger(),
    });
    unguarded.start();

    const jumps = async (camera: string, relay: RtpJumpRelay) => {
      for (const [index, seconds] of [3600, -600].entries()) {
        const recorded = segmentsOf(camera);
        await waitFor(`${camera} recording`, () => segmentsOf(camera) >= recorded + 2, 60_000);
        relay.jump(seconds);
        await waitFor(
          `the jump of ${seconds} s noticed`,
          () => eventsOf(camera, "recording_discontinuity").length > index,
          60_000,
        );
      }
      const recorded = segmentsOf(camera);
      await waitFor(`${camera} recording again`, () => segmentsOf(camera) >= recorded + 2, 60_000);
    };
    const resize = async () => {
      await waitFor(
        "the new size noticed",
        () => eventsOf("grow", "recording_discontinuity").length > 0,
        90_000,
      );
      const recorded = segmentsOf("grow");
      await waitFor("grow recording again", () => segmentsOf("grow") >= recorded + 2, 60_000);
    };
    const refusal = () =>
      waitFor("mjpeg refused", () => eventsOf("mjpeg", "recording_refused").length > 0, 60_000);
    await Promise.all([
      jumps("jumpy", jumpRelay),
      jumps("blind", blindRelay).then(() => unguarded.stop()),
      resize(),
      refusal(),
      waitFor("hevc recording", () => segmentsOf("hevc") >= 4, 90_000),
    ]);
    await agent.stop();
  });

  after(async () => {
    store?.close();
    await cleanups.run();
  });

  it("indexes exactly the files on disk, each of which decodes to its end", async () => {
    assert.ok(store);
    const rows = [...store.open().segments.stored()];
    const files = await segmentFiles(join(dir, "recordings"));
    assert.deepEqual(
      files.map((file) => file.path).sort(),
      rows.map((row) => row.path).sort(),
      "segments indexed = segments on disk",
    );
    for (const row of rows) assert.equal(await decodeErrors(row.path), "", row.path);
  });

  it("never overlaps a camera's segments, nor makes one longer than twice the nominal", async () => {
    assert.ok(store);
    for (const camera of ["jumpy", "blind", "grow"]) {
      const rows = store.open().segments.overlapping(camera, 0, Number.MAX_SAFE_INTEGER);
      assert.ok(rows.length >= 6, `${camera}: ${rows.length} segments`);
      for (const [index, row] of rows.entries()) {
        const previous = rows[index - 1];
        if (previous)
          assert.ok(row.startMs >= previous.endMs, `${camera}: segment ${row.id} overlaps`);
        assert.ok(row.endMs - row.startMs <= 2 * NOMINAL_MS, `${camera}: ${row.id} indexed long`);
        const media = await probeVideo(row.path);
        assert.ok(
          media.durationSec * 1000 <= 2 * NOMINAL_MS,
          `${row.path}: ${media.durationSec} s`,
        );
      }
      const first = rows[0];
      const last = rows.at(-1);
      assert.ok(first && last);
      // The whole recording spans the time it took, not the hour the clock jumped.
      assert.ok(
        last.endMs - first.startMs < 5 * 60_000,
        `${camera}: spans ${last.endMs - first.startMs} ms`,
      );
    }
  });

  it("ends the segment at a timestamp jump, restarts cleanly and says so", () => {
    const jumps = eventsOf("jumpy", "recording_discontinuity").map((event) => event.detail);
    assert.equal(jumps.length, 2, JSON.stringify(jumps));
    const [ahead, back] = jumps;
    assert.equal(ahead?.["kind"], "timestamp_jump");
    assert.equal(ahead?.["detectedBy"], "relay");
    assert.ok(Math.abs(Number(ahead?.["jumpSeconds"]) - 3600) < 10, JSON.stringify(ahead));
    assert.ok(Math.abs(Number(back?.["jumpSeconds"]) + 600) < 10, JSON.stringify(back));
    assert.deepEqual(eventsOf("jumpy", "recording_restarted"), [], "a jump is no failure");
  });

  it("cuts a segment ffmpeg wrote across a jump the relay did not see, and restarts", () => {
    const jumps = eventsOf("blind", "recording_discontinuity").map((event) => event.detail);
    assert.equal(jumps.length, 2, JSON.stringify(jumps));
    for (const jump of jumps) {
      assert.equal(jump["detectedBy"], "segment");
      assert.match(String(jump["detail"]), /s of stream time arrived in/);
    }
  });

  it("ends the segment where the picture size changes: no segment holds two", async () => {
    assert.ok(store);
    const change = eventsOf("grow", "recording_discontinuity")[0]?.detail;
    assert.equal(change?.["kind"], "parameters_changed", JSON.stringify(change));
    const rows = store.open().segments.overlapping("grow", 0, Number.MAX_SAFE_INTEGER);
    const sizes = [];
    for (const row of rows) {
      const seen = await frameSizes(row.path);
      assert.equal(seen.length, 1, `${row.path} holds ${seen.join(" and ")}`);
      assert.equal(`${row.width},${row.height}`, seen[0], `${row.path}: indexed size`);
      assert.equal(row.videoCodec, "h264");
      sizes.push(seen[0]);
    }
    assert.equal(sizes[0], "320,240");
    assert.equal(sizes.at(-1), "640,360");
  });

  it("refuses MJPEG loudly, indexing nothing of it", async () => {
    assert.ok(store && recorder);
    assert.equal(store.open().segments.span("mjpeg"), undefined, "nothing indexed");
    const files = await segmentFiles(join(dir, "recordings", "mjpeg"));
    assert.deepEqual(files, [], "nothing left on disk");
    const refused = eventsOf("mjpeg", "recording_refused");
    assert.equal(refused.length, 1, "said once");
    assert.equal(refused[0]?.detail["codec"], "mjpeg");
    assert.match(String(refused[0]?.detail["message"]), /cannot be stored/);
  });

  it("lists each segment's codec and size", async () => {
    const listed = await runCamgate([
      ...["recordings", "list", "--camera", "grow", "--json", "--config", configFile],
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const body = JSON.parse(listed.stdout) as {
      segments: { codec: string | null; width: number | null; height: number | null }[];
    };
    assert.deepEqual(body.segments[0], { ...body.segments[0], codec: "h264", width: 320 });
    const table = await runCamgate([
      "recordings",
      "list",
      "--camera",
      "grow",
      "--config",
      configFile,
    ]);
    assert.match(table.stdout, /h264 320x240/);
    assert.match(table.stdout, /h264 640x360/);
    assert.ok(cameras.length === 3);
  });

  /** `recordings export` of a camera's whole recording, or of [from, to); the CLI's answer. */
  const exportOf = async (camera: string, range?: { fromMs: number; toMs: number }) => {
    assert.ok(store);
    const rows = store.open().segments.overlapping(camera, 0, Number.MAX_SAFE_INTEGER);
    const fromMs = range?.fromMs ?? rows[0]?.startMs ?? 0;
    const toMs = range?.toMs ?? rows.at(-1)?.endMs ?? 0;
    const output = join(dir, `${camera}-${fromMs}.mp4`);
    const done = await runCamgate([
      ...["recordings", "export", "--camera", camera, "--from", new Date(fromMs).toISOString()],
      ...["--to", new Date(toMs).toISOString(), "-o", output, "--json", "--config", configFile],
    ]);
    return { ...done, output, rows };
  };

  it("exports H.265 tagged hvc1, whole and true to the recorded time", async () => {
    const exported = await exportOf("hevc");
    assert.equal(exported.code, 0, exported.stderr);
    const result = JSON.parse(exported.stdout) as ExportResult;
    const media = result.parts[0]?.media;
    assert.deepEqual(media, { ...media, codec: "hevc", tag: "hvc1" });
    assert.equal(await decodeErrors(exported.output), "");
    assert.ok(
      Math.abs(result.durationSec - result.recordedSec) <= SEGMENT_SECONDS,
      exported.stdout,
    );
    assert.ok(exported.rows.every((row) => row.videoCodec === "hevc"));
  });

  it("exports across the clock jumps a file that decodes, as long as what was recorded", async () => {
    const exported = await exportOf("jumpy");
    assert.equal(exported.code, 0, exported.stderr);
    const result = JSON.parse(exported.stdout) as ExportResult;
    assert.equal(await decodeErrors(exported.output), "");
    // Gaps (the restarts after the jumps) are kept in the video's timeline.
    const gapsSec = result.gaps.reduce((sum, gap) => sum + gap.seconds, 0);
    assert.ok(
      Math.abs(result.durationSec - result.recordedSec - gapsSec) <= SEGMENT_SECONDS,
      exported.stdout,
    );
  });

  it("exports parts of different picture sizes as one MP4 each, or one part alone", async () => {
    const whole = await exportOf("grow");
    assert.equal(whole.code, 0, whole.stderr);
    const result = JSON.parse(whole.stdout) as ExportResult;
    assert.deepEqual(
      result.parts.map((part) => `${part.media.width}x${part.media.height}`),
      ["320x240", "640x360"],
    );
    const wider = whole.rows.filter((row) => row.width === 640);
    const part = await exportOf("grow", {
      fromMs: wider[0]?.startMs ?? 0,
      toMs: wider.at(-1)?.endMs ?? 0,
    });
    assert.equal(part.code, 0, part.stderr);
    assert.deepEqual(await frameSizes(part.output), ["640,360"]);
  });
});
