import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, readdir, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { AgentEvents } from "../../src/agent-events.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { createLogger, silentLogger } from "../../src/log/index.js";
import {
  CameraRecorder,
  decodeMedia,
  hashFile,
  incomingDir,
  probeMedia,
  reconcileStorage,
} from "../../src/recorder/index.js";
import { type SegmentRecord, Store } from "../../src/store/index.js";
import { decodeErrors, segmentFiles, startGstRtspServer, waitFor } from "../helpers/recording.js";
import { Cleanups, tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const SEGMENT_SECONDS = 4;

/** Byte offsets in a file where each of its video packets ends (the next one's start). */
async function packetEnds(path: string): Promise<number[]> {
  const { stdout } = await run(
    "ffprobe",
    [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos"],
      ...["-of", "csv=p=0", path],
    ],
    { maxBuffer: 8 * 1024 * 1024 },
  );
  const starts = stdout
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => Number(line.replace(/,$/, "")));
  // A packet of MPEG-TS is whole once the next one has begun (its TS packets come in order).
  return starts.slice(1);
}

// A camera at a few dozen kbit/s, as a sub-stream of a still scene is: ffmpeg's 32 KiB write
// buffer held more than a segment of it, and a kill -9 lost the open segment whole.
describe("the open segment: kill -9 of ffmpeg and a power cut", () => {
  const cleanups = new Cleanups();
  let dir = "";
  let store: Store | undefined;
  const closed: { segment: SegmentRecord; atMs: number }[] = [];
  let killedMs = 0;
  let lastClosedMs = 0;
  let url = "";
  const bus = new EventBus<AgentEvents>(() => undefined);

  /** A recorder of the GStreamer camera as `cameraId`, into the test's storage. */
  const recorderOf = (cameraId: string, ffmpeg: string, logger = silentLogger()) => {
    assert.ok(store);
    return new CameraRecorder({
      target: {
        cameraId,
        profileToken: "main",
        url,
        displayUrl: url,
        allowBasicAuth: false,
        secrets: [],
      },
      ffmpeg,
      ffprobe: "ffprobe",
      relay: { open: () => ({ url, revoke: () => undefined }) },
      storageDir: join(dir, "recordings"),
      segmentSeconds: SEGMENT_SECONDS,
      connectTimeoutMs: 10_000,
      restartDelayMaxMs: 60_000,
      segments: store.open().segments,
      events: new EventLog(store, bus, silentLogger()),
      bus,
      space: { makeRoom: async () => undefined },
      logger,
    });
  };

  before(async () => {
    dir = await tempDir(cleanups, "camgate-open-segment-");
    url = await startGstRtspServer(
      cleanups,
      "127.0.110.10",
      8554,
      "/low?kbps=24&fps=10&size=160x120",
    );
    store = new Store(join(dir, "camgate.db"), silentLogger());
    bus.on("segmentClosed", ({ segment }) => closed.push({ segment, atMs: Date.now() }));
    const recorder = recorderOf("low", "ffmpeg");
    recorder.start();
    cleanups.after(() => recorder.stop());
    // The third segment: the first one's check (probe and decode), which the filing of the
    // second waits for, no longer delays the event.
    await waitFor("three segments", () => closed.length >= 3, 60_000);
    lastClosedMs = closed[2]?.atMs ?? 0;
    const pid = recorder.pid;
    assert.ok(pid);
    await sleep(3000);
    killedMs = Date.now();
    process.kill(pid, "SIGKILL");
    // Before a new ffmpeg starts: what is indexed after this is what the killed one left.
    await recorder.stop();
  });

  after(async () => {
    store?.close();
    await cleanups.run();
  });

  it("keeps the segment ffmpeg was writing, playable up to at most a second before the kill", async () => {
    assert.equal(closed.length, 4, "the open segment was indexed");
    const recovered = closed[3]?.segment;
    assert.ok(recovered);
    assert.equal(await decodeErrors(recovered.path), "", recovered.path);
    const facts = await probeMedia("ffprobe", recovered.path);
    const openForMs = killedMs - lastClosedMs;
    assert.ok(
      facts.durationSec * 1000 >= openForMs - 1000,
      `${facts.durationSec} s of video kept, ${openForMs / 1000} s were open at the kill`,
    );
    assert.equal(recovered.videoCodec, "h264");
    assert.deepEqual(await readdir(incomingDir(join(dir, "recordings"), "low")), []);
  });

  it("a segment cut anywhere by a power cut decodes up to the cut, and reconcile indexes it", async () => {
    assert.ok(store);
    const whole = closed[2]?.segment;
    assert.ok(whole);
    const bytes = (await stat(whole.path)).size;
    const ends = await packetEnds(whole.path);
    const incoming = incomingDir(join(dir, "recordings"), "cut");
    await mkdir(incoming, { recursive: true });
    // Offsets that are not on a transport-packet boundary: a write stops anywhere.
    const offsets = [0.23, 0.5, 0.81].map((share) => Math.floor(bytes * share) + 101);
    for (const [index, offset] of offsets.entries()) {
      const path = join(incoming, `cut${index}-000000.ts`);
      await copyFile(whole.path, path);
      await truncate(path, offset);
      const complete = ends.filter((end) => end <= offset).length;
      const decoded = await decodeMedia("ffmpeg", path);
      assert.ok(complete > 0, `offset ${offset} is past the first picture`);
      assert.ok(
        decoded.frames >= complete,
        `cut at ${offset} of ${bytes}: ${decoded.frames} pictures decode, ${complete} were whole`,
      );
    }
    // Before the first picture is whole: nothing that plays.
    const early = join(incoming, "early-000000.ts");
    await copyFile(whole.path, early);
    await truncate(early, 600);

    const segments = store.open().segments;
    const report = await reconcileStorage({
      storageDir: join(dir, "recordings"),
      segments,
      events: new EventLog(store, new EventBus<AgentEvents>(() => undefined), silentLogger()),
      ffprobe: "ffprobe",
      ffmpeg: "ffmpeg",
      logger: silentLogger(),
    });
    assert.deepEqual(
      { indexed: report.indexed, removed: report.removed, unchecked: report.unchecked },
      { indexed: offsets.length, removed: 1, unchecked: 0 },
    );
    const rows = segments.overlapping("cut", 0, Number.MAX_SAFE_INTEGER);
    assert.equal(rows.length, offsets.length);
    const total = (await probeMedia("ffprobe", whole.path)).durationSec;
    for (const row of rows) {
      assert.deepEqual(await hashFile(row.path), { bytes: row.bytes, sha256: row.sha256 });
      assert.deepEqual([row.videoCodec, row.width, row.height], ["h264", 160, 120]);
      const facts = await probeMedia("ffprobe", row.path);
      assert.ok(facts.durationSec < total, `${row.path}: ${facts.durationSec} of ${total} s`);
      assert.ok(
        Math.abs(row.endMs - row.startMs - facts.durationSec * 1000) <= 1000,
        `${row.path}: indexed ${row.endMs - row.startMs} ms for ${facts.durationSec} s`,
      );
    }
    for (const [index, row] of rows.entries()) {
      const previous = rows[index - 1];
      if (previous) assert.ok(row.startMs >= previous.endMs, "no overlap");
    }
    assert.deepEqual(await readdir(incoming), []);
  });

  it("indexes no segment whose pictures do not decode, though ffprobe reads its headers", async () => {
    assert.ok(store);
    // ffmpeg that drops the stream's SPS and PPS: segments with an H.264 stream and a length,
    // and not one picture a decoder can make.
    const wrapper = join(dir, "ffmpeg-without-parameter-sets");
    await writeFile(
      wrapper,
      [
        "#!/bin/bash",
        'args=("$@")',
        'if [[ " $* " == *" -segment_list "* ]]; then',
        '  for i in "${!args[@]}"; do',
        '    [[ "${args[$i]}" == "-bsf:v" ]] && args[$((i+1))]+=",filter_units=remove_types=7|8"',
        "  done",
        "fi",
        'exec ffmpeg "${args[@]}"',
        "",
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
    const refused: string[] = [];
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        refused.push(
          ...chunk
            .toString()
            .split("\n")
            .filter((line) => line.includes("no picture")),
        );
        done();
      },
    });
    const logger = createLogger({ level: "warn", format: "json", destination: lines });
    const recorder = recorderOf("undecodable", wrapper, logger);
    recorder.start();
    try {
      const indexed = () => closed.some(({ segment }) => segment.cameraId === "undecodable");
      await waitFor("two segments refused", () => refused.length >= 2 || indexed(), 60_000);
    } finally {
      await recorder.stop();
    }
    assert.equal(store.open().segments.span("undecodable"), undefined, "nothing indexed");
    assert.deepEqual(await segmentFiles(join(dir, "recordings", "undecodable")), []);
    // What ffprobe alone says of such a file: H.264 that lasts, which the index took for video.
    const sample = join(dir, "no-parameter-sets.ts");
    await run("ffmpeg", [
      ...["-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2"],
      ...["-c:v", "libx264", "-bsf:v", "filter_units=remove_types=7|8", "-f", "mpegts", sample],
    ]);
    const probed = await probeMedia("ffprobe", sample);
    assert.deepEqual([probed.playable, probed.video?.codec], [true, "h264"]);
    assert.equal((await decodeMedia("ffmpeg", sample)).frames, 0);
  });
});
