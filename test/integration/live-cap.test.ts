import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { LiveStreams } from "../../src/live/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { RecordingTarget } from "../../src/recorder/index.js";
import { TokenBucket } from "../../src/uplink/index.js";
import { decodeErrors, startGstRtspMounts } from "../helpers/recording.js";
import { defer } from "../helpers/temp.js";
import { type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

const run = promisify(execFile);
const CAP_BITS = 300_000;
const BUCKET_BYTES = 16_384;

/** A live view of `url` for `seconds` on the fake link; resolves with what was published. */
async function liveView(
  t: Parameters<typeof uplinkParts>[0],
  parts: UplinkParts,
  url: string,
  seconds: number,
  bucket: TokenBucket | undefined,
): Promise<Buffer[]> {
  const live = new LiveStreams({
    source: () => ({
      ffmpeg: "ffmpeg",
      target: { displayUrl: url, secrets: [] } as unknown as RecordingTarget,
      ticket: { url, revoke: () => undefined },
    }),
    session: parts.link,
    topics: parts.topics,
    bucket,
    connectTimeoutMs: 10_000,
    maxSessions: 4,
    logger: silentLogger(),
  });
  await live.start(new AbortController().signal);
  defer(t, () => live.stop());
  parts.link.up();
  await live.begin("cam", seconds);
  const topic = parts.topics.live("cam");
  await until(() =>
    parts.link.on(topic).some((message) => message.options.userProperties?.["final"] === "true"),
  );
  return parts.link.on(topic).map((message) => message.payload);
}

async function videoTag(path: string): Promise<string> {
  const { stdout } = await run("ffprobe", [
    ...[
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=codec_name,codec_tag_string",
    ],
    ...["-of", "csv=p=0", path],
  ]);
  return stdout.trim();
}

describe("live view: the upload cap, and HEVC tagged hvc1", () => {
  it("holds uplink.maxBitsPerSecond with a live view of a faster camera open", async (t) => {
    const base = await startGstRtspMounts(t, "127.0.112.10", 8554, [
      "/fast?size=640x360&fps=25&kbps=1500&pattern=snow",
    ]);
    const parts = await uplinkParts(t);
    // The bucket's own clock: the cap is measured on the time the bucket counts tokens by.
    const clock = () => performance.now();
    const bucket = new TokenBucket(CAP_BITS, BUCKET_BYTES, clock);
    const startedMs = clock();
    const payloads = await liveView(t, parts, `${base}/fast`, 4, bucket);
    const elapsedSec = (clock() - startedMs) / 1000;
    const sent = payloads.reduce((sum, payload) => sum + payload.length, 0);
    const allowed = BUCKET_BYTES + (CAP_BITS / 8) * elapsedSec;
    assert.ok(elapsedSec >= 4, `a window of ${elapsedSec} s`);
    assert.ok(
      sent <= allowed * 1.1,
      `${sent} bytes in ${elapsedSec.toFixed(1)} s, the cap allows ${Math.round(allowed)}`,
    );
    // The camera sends more than the cap: the view used it, and what arrived is video.
    assert.ok(sent >= allowed * 0.5, `${sent} of ${Math.round(allowed)} bytes allowed`);
    const file = join(parts.dir, "capped.mp4");
    await writeFile(file, Buffer.concat(payloads));
    assert.equal(await videoTag(file), "h264,avc1");
  });

  it("tags an H.265 live view hvc1, and it decodes", async (t) => {
    const base = await startGstRtspMounts(t, "127.0.112.11", 8554, [
      "/hevc?video=h265&size=320x240&fps=10&kbps=200",
    ]);
    const parts = await uplinkParts(t);
    const payloads = await liveView(t, parts, `${base}/hevc`, 2, undefined);
    const file = join(parts.dir, "hevc.mp4");
    await writeFile(file, Buffer.concat(payloads));
    assert.equal(await videoTag(file), "hevc,hvc1");
    assert.equal(await decodeErrors(file), "");
  });
});
