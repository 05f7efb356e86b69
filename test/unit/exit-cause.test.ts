import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exitCause } from "../../src/recorder/exit-cause.js";

const ended = (code: number | null, lines: string[], stalled = false) =>
  exitCause({ code, stalled, stderr: { lines } });

describe("exit cause", () => {
  it("a warning printed on the way out is not the cause", () => {
    const lines = [
      "[rtsp @ 0x55d0] method PLAY failed",
      "rtsp://127.0.0.1:40001/relay/x: End of file",
      "[mpegts @ 0x55d1] Non-monotonous DTS in output stream 0:0; previous: 8100, current: 7200; changing to 8101.",
    ];
    assert.equal(ended(0, lines), "the camera closed the stream");
  });

  it("names timestamps when they are all ffmpeg complained of", () => {
    assert.equal(
      ended(1, [
        "[segment @ 0x1] Non-monotonous DTS in output stream 0:0; previous: 9, current: 3",
      ]),
      "timestamp discontinuity",
    );
  });

  it("credentials, reachability, disk, stall, signal and plain exit codes", () => {
    assert.equal(
      ended(1, ["[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized"]),
      "the camera refused the credentials",
    );
    assert.equal(ended(1, ["rtsp://x: Connection refused"]), "the camera could not be reached");
    assert.equal(ended(1, ["x.ts: No space left on device"]), "the disk is full");
    assert.equal(ended(null, ["frame=  401 fps= 10"], true), "stalled");
    assert.equal(ended(null, ["frame=  401 fps= 10"]), "ffmpeg was killed by a signal");
    assert.equal(ended(255, ["frame=  403 fps= 10"]), "ffmpeg exited with code 255");
    assert.equal(ended(0, []), "the camera closed the stream");
  });
});
