import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { prepareVideoAsset } from "../../src/sim/video-asset.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

describe("simulator video", () => {
  it("turns a given video file into the H.264 clip it serves, once, then reuses the cache", async (t) => {
    const dir = await tempDir(t);
    const source = join(dir, "source.mkv");
    // A clip unlike the default: other size and rate, MPEG-4 Part 2, no keyframe rhythm.
    await run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=176x144:rate=25",
      "-t",
      "3",
      "-c:v",
      "mpeg4",
      "-y",
      source,
    ]);
    const cacheDir = join(dir, "cache");
    const asset = await prepareVideoAsset({ ffmpeg: "ffmpeg", cacheDir, source, seconds: 3 });
    assert.equal(asset.fps, 10);
    assert.equal(asset.stream.frames.length, 30);
    assert.equal(
      asset.stream.frames.filter((frame) => frame.keyframe).length,
      3,
      "one keyframe per second",
    );
    assert.equal(asset.jpeg.subarray(0, 2).toString("hex"), "ffd8", "the snapshot is a JPEG");
    const again = await prepareVideoAsset({ ffmpeg: "ffmpeg", cacheDir, source, seconds: 3 });
    assert.deepEqual(again.stream.sps, asset.stream.sps);
  });

  it("says which file it could not read", async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(
      prepareVideoAsset({ ffmpeg: "ffmpeg", cacheDir: dir, source: join(dir, "missing.mp4") }),
      /cannot read video .*missing\.mp4/,
    );
    const notVideo = join(dir, "notes.txt");
    await (await import("node:fs/promises")).writeFile(notVideo, "not a video");
    await assert.rejects(
      prepareVideoAsset({ ffmpeg: "ffmpeg", cacheDir: dir, source: notVideo }),
      /ffmpeg could not prepare/,
    );
  });
});
