import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import type { MediaFacts } from "../../src/recorder/index.js";
import { type Run, StreamWatch } from "../../src/recorder/recording-run.js";

function run(): Run {
  return {
    id: "r",
    startedMs: 0,
    incoming: "/x",
    timeline: undefined as never,
    stderr: undefined as never,
    stalled: false,
    code: null,
    segments: 0,
    lastEndSec: 0,
    media: undefined,
    broke: undefined,
    refused: undefined,
    unstorable: undefined,
    unchecked: new Set(),
    process: undefined,
  };
}

function h264(width: number, height: number): MediaFacts {
  return {
    playable: true,
    durationSec: 4,
    video: { codec: "h264", tag: null, width, height },
    audioCodec: null,
    streams: 1,
  };
}

const newParameters = {
  kind: "parameters_changed",
  encoding: "H264",
  detectedBy: "relay",
} as const;

describe("stream watch", () => {
  it("keeps watching SPS changes that change the picture, and stops after two that do not", () => {
    const watch = new StreamWatch(silentLogger());
    const runs = [h264(320, 240), h264(640, 360), h264(640, 360), h264(640, 360), h264(640, 360)];
    const watching: boolean[] = [];
    for (const facts of runs) {
      const current = run();
      assert.equal(watch.judge(current, facts), "keep");
      watching.push(watch.watchParameters);
      current.broke = newParameters;
      watch.ended(current);
    }
    // 320x240 -> 640x360 is a change; then 640x360 twice more for nothing: no longer watched.
    assert.deepEqual(watching, [true, true, true, false, false]);
  });

  it("refuses a stream with no video stream, naming the codec ffmpeg could only store as data", () => {
    const watch = new StreamWatch(silentLogger());
    const current = run();
    watch.heard(current, "[mpegts @ 0x1] Stream 0, codec mjpeg, is muxed as a private data stream");
    const data = { ...h264(0, 0), playable: false, video: null, streams: 1 };
    assert.equal(watch.judge(current, data), "drop");
    assert.equal(current.refused?.codec, "mjpeg");
    const notEvenAContainer = run();
    assert.equal(watch.judge(notEvenAContainer, { ...data, streams: 0 }), "drop");
    assert.equal(notEvenAContainer.refused, undefined, "one bad file refuses nothing");
  });
});
