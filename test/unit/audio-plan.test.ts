import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { parseConfigText } from "../../src/config/index.js";
import { createLogger } from "../../src/log/index.js";
import {
  audioArgs,
  audioNotRecorded,
  audioPlan,
  firstAudio,
} from "../../src/recorder/audio-plan.js";
import { probeMedia, recordArgs } from "../../src/recorder/index.js";
import { type Run, StreamWatch } from "../../src/recorder/recording-run.js";
import type { PayloadFormat } from "../../src/rtsp-relay/index.js";

const run = promisify(execFile);
const PCMU: PayloadFormat = { media: "audio", encoding: "PCMU", clockRate: 8000 };
const PCMA: PayloadFormat = { media: "audio", encoding: "PCMA", clockRate: 8000 };
const AAC: PayloadFormat = { media: "audio", encoding: "MPEG4-GENERIC", clockRate: 16000 };
const H264: PayloadFormat = { media: "video", encoding: "H264", clockRate: 90000 };

function newRun(audio: Run["audio"]): Run {
  return {
    id: "r",
    startedMs: 0,
    incoming: "/x",
    timeline: undefined as never,
    stderr: undefined as never,
    stalled: false,
    code: null,
    unchecked: new Set(),
    segments: 0,
    lastEndSec: 0,
    media: undefined,
    broke: undefined,
    refused: undefined,
    unstorable: undefined,
    process: undefined,
    audio,
  };
}

function capturingLogger() {
  const lines: { msg?: string; audio?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean))
        lines.push(JSON.parse(line) as { msg?: string });
      done();
    },
  });
  return { lines, logger: createLogger({ level: "info", format: "json", destination }) };
}

describe("audio plan", () => {
  it("drops audio by default, copies AAC, encodes G.711 to AAC only when asked", () => {
    const config = parseConfigText("site: {id: s}", "t.yaml", {});
    assert.equal(config.recorder.audio, "drop");
    const table = (["drop", "copy", "transcode"] as const).map((mode) =>
      [null, PCMU, PCMA, AAC].map((audio) => audioPlan(mode, audio)),
    );
    assert.deepEqual(table, [
      ["none", "none", "none", "none"],
      ["none", "none", "none", "copy"],
      ["none", "aac", "aac", "copy"],
    ]);
    // Before the SDP is seen: the likeliest plan for the mode.
    assert.deepEqual(
      (["drop", "copy", "transcode"] as const).map((mode) => audioPlan(mode, undefined)),
      ["none", "copy", "aac"],
    );
  });

  it("tells why audio is not recorded, and nothing when it is", () => {
    assert.equal(audioNotRecorded("drop", AAC), "audio not recorded (recorder.audio: drop)");
    assert.match(audioNotRecorded("copy", PCMU) ?? "", /PCMU cannot be copied.*transcode/);
    assert.equal(audioNotRecorded("copy", AAC), undefined);
    assert.equal(audioNotRecorded("transcode", PCMA), undefined);
    assert.equal(firstAudio([H264, PCMA, PCMU]), PCMA);
    assert.equal(firstAudio([H264]), null);
  });

  it("records what the plan says: G.711 stored as AAC in MPEG-TS, AAC copied, none dropped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "camgate-audio-plan-"));
    try {
      const source = join(dir, "camera.mkv");
      await run("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"],
        ...["-f", "lavfi", "-i", "sine=r=8000", "-t", "3", "-c:v", "libx264"],
        ...["-g", "10", "-c:a", "pcm_mulaw", source],
      ]);
      const stored: Record<string, string | null> = {};
      for (const plan of ["none", "copy", "aac"] as const) {
        const args = recordArgs({
          input: source,
          transport: "tcp",
          segmentSeconds: 10,
          connectTimeoutMs: 5000,
          outputPattern: join(dir, `${plan}-%06d.ts`),
          audio: plan,
        });
        // The output side as the recorder writes it; the input is a file, not RTSP.
        const output = args.slice(args.indexOf("-i") + 2);
        await run("ffmpeg", ["-v", "error", "-i", source, ...output]);
        stored[plan] = (await probeMedia("ffprobe", join(dir, `${plan}-000000.ts`))).audioCodec;
      }
      // A copy of G.711 is what the plan never does: MPEG-TS would keep it as private data.
      assert.deepEqual(stored, { none: null, copy: null, aac: "aac" });
      assert.deepEqual(audioArgs("none"), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("starts a run again when the SDP calls for other audio arguments, and says once what is dropped", () => {
    const { lines, logger } = capturingLogger();
    const copy = new StreamWatch(logger, "copy");
    const first = newRun(copy.audioPlan);
    assert.equal(first.audio, "copy", "a copy is assumed before the SDP is seen");
    assert.equal(copy.described(first, [H264, PCMA]), "replan");
    assert.equal(first.replanned, true);
    const second = newRun(copy.audioPlan);
    assert.equal(second.audio, "none");
    assert.equal(copy.described(second, [H264, PCMA]), "go");
    const told = lines.filter((line) => line.msg?.startsWith("audio not recorded"));
    assert.equal(told.length, 1, JSON.stringify(lines));
    assert.equal(told[0]?.audio, "PCMA/8000");

    const transcode = new StreamWatch(logger, "transcode");
    const assumed = newRun(transcode.audioPlan);
    assert.equal(assumed.audio, "aac");
    assert.equal(
      transcode.described(assumed, [H264, AAC]),
      "replan",
      "AAC is copied, not re-encoded",
    );
    const silent = newRun(transcode.audioPlan);
    assert.equal(transcode.described(silent, [H264]), "go", "no audio: nothing to map");
    const recording = newRun("none");
    recording.segments = 1;
    assert.equal(transcode.described(recording, [H264, PCMU]), "go", "never once it wrote");
  });
});
