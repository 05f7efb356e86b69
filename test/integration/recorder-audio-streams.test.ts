import assert from "node:assert/strict";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { createLogger } from "../../src/log/index.js";
import { probeMedia } from "../../src/recorder/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import {
  decodeErrors,
  seedCameras,
  segmentFiles,
  startGstRtspMounts,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { Cleanups, tempDir } from "../helpers/temp.js";

const SEGMENT_SECONDS = 4;
const NOMINAL_MS = SEGMENT_SECONDS * 1000;
/** A password of every character URLs and RTSP headers reserve. */
const CREDENTIALS = { username: "viewer", password: "p@ss:w/rd?#%&" };

interface Expected {
  mount: string;
  server: "open" | "basic" | "digest";
  audio?: "drop" | "copy" | "transcode";
  codec: string;
  size: [number, number];
  /** The audio codec each segment holds, or null. */
  stored: string | null;
  /** The camera sends audio that is not recorded: the log says so once. */
  told?: RegExp;
}

// What field cameras send (H.265 with AAC, H.264 with G.711, Basic-only and Digest-only firmware,
// 4K H.265), served by GStreamer's RTSP server, each recorded under the audio setting a site
// would choose for it.
const CAMERAS: Record<string, Expected> = {
  "hevc-aac-drop": {
    mount: "/hevc-aac",
    server: "open",
    codec: "hevc",
    size: [320, 240],
    stored: null,
    told: /^audio not recorded \(recorder.audio: drop\)$/,
  },
  "hevc-aac-copy": {
    mount: "/hevc-aac",
    server: "open",
    audio: "copy",
    codec: "hevc",
    size: [320, 240],
    stored: "aac",
  },
  "hevc-aac-transcode": {
    mount: "/hevc-aac",
    server: "open",
    audio: "transcode",
    codec: "hevc",
    size: [320, 240],
    stored: "aac",
  },
  "pcmu-drop": {
    mount: "/pcmu",
    server: "open",
    codec: "h264",
    size: [320, 240],
    stored: null,
    told: /^audio not recorded \(recorder.audio: drop\)$/,
  },
  "pcmu-transcode": {
    mount: "/pcmu",
    server: "open",
    audio: "transcode",
    codec: "h264",
    size: [320, 240],
    stored: "aac",
  },
  "pcma-copy": {
    mount: "/pcma",
    server: "open",
    audio: "copy",
    codec: "h264",
    size: [320, 240],
    stored: null,
    told: /^audio not recorded: PCMA cannot be copied into MPEG-TS/,
  },
  "pcma-transcode": {
    mount: "/pcma",
    server: "open",
    audio: "transcode",
    codec: "h264",
    size: [320, 240],
    stored: "aac",
  },
  basic: { mount: "/basic", server: "basic", codec: "h264", size: [320, 240], stored: null },
  digest: { mount: "/digest", server: "digest", codec: "h264", size: [320, 240], stored: null },
  uhd: { mount: "/uhd", server: "open", codec: "hevc", size: [3840, 2160], stored: null },
};

interface ExportJson {
  parts: { media: { codec: string; tag: string | null; audio: string | null } }[];
  durationSec: number;
  recordedSec: number;
}

describe("recorder: audio, H.265, 4K and camera auth, from GStreamer's RTSP server", () => {
  const cleanups = new Cleanups();
  let dir = "";
  let store: Store | undefined;
  const closed: SegmentRecord[] = [];
  const events: AgentEvents["boxEvent"][] = [];
  const logLines: { camera?: string; msg?: string }[] = [];
  const exports = new Map<
    string,
    { code: number | null; stderr: string; output: string; json?: ExportJson }
  >();
  const ids = Object.keys(CAMERAS);
  const rowsOf = (camera: string) => {
    assert.ok(store);
    return store.open().segments.overlapping(camera, 0, Number.MAX_SAFE_INTEGER);
  };

  before(async () => {
    dir = await tempDir(cleanups, "camgate-audio-");
    const fps = "fps=5&kbps=150";
    const [open, basic, digest] = await Promise.all([
      startGstRtspMounts(cleanups, "127.0.90.10", 8554, [
        `/hevc-aac?video=h265&audio=aac&${fps}`,
        `/pcmu?audio=pcmu&${fps}`,
        `/pcma?audio=pcma&${fps}`,
        // Every picture a keyframe of about 1 MB: the largest the relay and ffmpeg carry.
        "/uhd?video=h265&size=3840x2160&fps=1&kbps=8000&pattern=smpte",
      ]),
      startGstRtspMounts(cleanups, "127.0.90.11", 8554, [`/basic?${fps}`], {
        ...CREDENTIALS,
        method: "basic",
      }),
      startGstRtspMounts(cleanups, "127.0.90.12", 8554, [`/digest?${fps}`], CREDENTIALS),
    ]);
    const servers = { open, basic, digest };
    const overrides = Object.entries(CAMERAS)
      .map(([id, camera]) =>
        camera.server === "basic"
          ? `${id}: {allowBasicAuth: true}`
          : camera.audio
            ? `${id}: {audio: ${camera.audio}}`
            : undefined,
      )
      .filter((line) => line !== undefined);
    const written = await writeRecorderConfig(dir, [
      `storage: {dir: ${join(dir, "recordings")}, segmentSeconds: ${SEGMENT_SECONDS}, minFreeBytes: 0}`,
      `recorder: {connectTimeout: 10s, restartDelayMax: 2s, cameras: {${overrides.join(", ")}}}`,
    ]);
    await seedCameras(
      written.config,
      Object.entries(CAMERAS).map(([id, camera], index) => ({
        id,
        ip: `127.0.91.${index + 1}`,
        streamUri: `${servers[camera.server]}${camera.mount}`,
        ...(camera.server === "open" ? {} : { credentials: CREDENTIALS }),
      })),
    );
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean))
          logLines.push(JSON.parse(line) as { camera?: string; msg?: string });
        done();
      },
    });
    const logger = createLogger({ level: "info", format: "json", destination: sink });
    const agent = Agent.fromConfig(written.config, logger);
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    agent.bus.on("boxEvent", (event) => events.push(event));
    await agent.start(new AbortController().signal);
    store = agent.components.find((c) => c.name === "store") as Store;
    const segmentsOf = (id: string) => closed.filter((s) => s.cameraId === id).length;
    await Promise.all(
      ids.map((id) => waitFor(`${id} recording`, () => segmentsOf(id) >= 3, 120_000)),
    );
    await agent.stop();

    // `recordings export` of each camera's whole recording, all at once.
    await Promise.all(
      ids.map(async (id) => {
        const rows = rowsOf(id);
        const output = join(dir, `${id}.mp4`);
        const done = await runCamgate([
          ...["recordings", "export", "--camera", id, "--json", "-o", output],
          ...["--from", new Date(rows[0]?.startMs ?? 0).toISOString()],
          ...["--to", new Date(rows.at(-1)?.endMs ?? 0).toISOString(), "--config", written.file],
        ]);
        const json = done.code === 0 ? (JSON.parse(done.stdout) as ExportJson) : undefined;
        exports.set(id, { ...done, output, ...(json ? { json } : {}) });
      }),
    );
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
    for (const id of ids) {
      const errors = await Promise.all(rowsOf(id).map((row) => decodeErrors(row.path)));
      assert.deepEqual(errors.filter(Boolean), [], id);
    }
  });

  it("stores each segment's codec, size and audio as the segment itself holds them", async () => {
    for (const [id, camera] of Object.entries(CAMERAS)) {
      for (const row of rowsOf(id)) {
        const [width, height] = camera.size;
        const indexed = { codec: row.videoCodec, width: row.width, height: row.height };
        assert.deepEqual(indexed, { codec: camera.codec, width, height }, `${id}: ${row.path}`);
        assert.equal(row.audioCodec, camera.stored, `${id}: ${row.path} audio`);
        const facts = await probeMedia("ffprobe", row.path);
        assert.equal(facts.audioCodec, camera.stored, `${id}: ${row.path} holds`);
        assert.equal(facts.video?.codec, camera.codec, `${id}: ${row.path} holds`);
      }
    }
  });

  it("never overlaps a camera's segments, nor makes one longer than twice the nominal", () => {
    for (const id of ids) {
      const rows = rowsOf(id);
      assert.ok(rows.length >= 3, `${id}: ${rows.length} segments`);
      for (const [index, row] of rows.entries()) {
        const previous = rows[index - 1];
        if (previous) assert.ok(row.startMs >= previous.endMs, `${id}: segment ${row.id} overlaps`);
        assert.ok(row.endMs - row.startMs <= 2 * NOMINAL_MS, `${id}: ${row.id} indexed long`);
      }
    }
  });

  it("says once per camera that its audio is not recorded, and why", () => {
    for (const [id, camera] of Object.entries(CAMERAS)) {
      const said = logLines.filter(
        (line) => line.camera === id && /^audio not recorded/.test(line.msg ?? ""),
      );
      if (!camera.told) assert.deepEqual(said, [], id);
      else {
        assert.equal(said.length, 1, `${id}: ${JSON.stringify(said)}`);
        assert.match(said[0]?.msg ?? "", camera.told);
      }
    }
  });

  it("reaches Basic-only and Digest-only cameras with a password of reserved characters", () => {
    for (const id of ["basic", "digest"]) assert.ok(rowsOf(id).length >= 3, id);
    const leaked = logLines.filter((line) => JSON.stringify(line).includes(CREDENTIALS.password));
    assert.deepEqual(leaked, [], "the password is never logged");
  });

  it("starts a camera over for its audio arguments without an event", () => {
    // A run started with audio arguments its SDP did not fit (pcma-copy: a copy assumed,
    // hevc-aac-transcode: an encode assumed) ends before it wrote anything: that is no failure.
    // A stream that stalled (4K on a loaded machine) may be one.
    const failures = events.filter(
      (event) =>
        ["camera_offline", "recording_restarted"].includes(event.kind) &&
        event.detail["reason"] !== "stalled",
    );
    assert.deepEqual(failures, []);
  });

  it("exports each whole recording: it decodes, hvc1 for H.265, audio as recorded, true length", async () => {
    for (const [id, camera] of Object.entries(CAMERAS)) {
      const exported = exports.get(id);
      assert.equal(exported?.code, 0, `${id}: ${exported?.stderr}`);
      const result = exported.json;
      assert.ok(result);
      assert.equal(result.parts.length, 1, `${id}: one kind of video, one part`);
      const [part] = result.parts;
      assert.ok(part);
      assert.equal(part.media.codec, camera.codec, id);
      assert.equal(part.media.tag, camera.codec === "hevc" ? "hvc1" : "avc1", id);
      assert.equal(part.media.audio, camera.stored, `${id}: audio in the export`);
      assert.equal(await decodeErrors(exported.output), "", id);
      assert.ok(
        Math.abs(result.durationSec - result.recordedSec) <= SEGMENT_SECONDS,
        `${id}: ${result.durationSec} s exported of ${result.recordedSec} s`,
      );
    }
  });
});
