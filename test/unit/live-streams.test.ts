import assert from "node:assert/strict";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CommandRefusedError } from "../../src/commands/index.js";
import { LiveStreams } from "../../src/live/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { RecordingTarget } from "../../src/recorder/index.js";
import { defer } from "../helpers/temp.js";
import { type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

/**
 * ffmpeg's stand-in: what LiveStreams does with the bytes is under test here, not ffmpeg (the
 * live view with real ffmpeg and a camera is in the integration tests). It writes `pieces`
 * pieces of 16 KiB, then exits; 0 pieces means until it is killed.
 */
async function fakeFfmpeg(dir: string, pieces: number): Promise<string> {
  const file = join(dir, `ffmpeg-${pieces}.cjs`);
  await writeFile(
    file,
    `#!${process.execPath}
let left = ${pieces};
const piece = Buffer.alloc(16384, 7);
const timer = setInterval(() => {
  process.stdout.write(piece);
  if (${pieces} > 0 && --left === 0) { clearInterval(timer); process.stdout.end(); }
}, 5);
`,
  );
  await chmod(file, 0o755);
  return file;
}

async function liveStreams(
  t: Parameters<typeof uplinkParts>[0],
  parts: UplinkParts,
  ffmpeg: string,
) {
  const revoked: string[] = [];
  const target = {
    displayUrl: "rtsp://127.0.0.1/stream",
    secrets: [],
  } as unknown as RecordingTarget;
  const live = new LiveStreams({
    source: (cameraId) => ({
      ffmpeg,
      target,
      ticket: { url: "rtsp://127.0.0.1:1/ticket", revoke: () => revoked.push(cameraId) },
    }),
    session: parts.link,
    topics: parts.topics,
    bucket: undefined,
    connectTimeoutMs: 5000,
    maxSessions: 4,
    logger: silentLogger(),
  });
  await live.start(new AbortController().signal);
  defer(t, () => live.stop());
  return { live, revoked };
}

describe("LiveStreams on the fake link", () => {
  it("pieces go in order with the session id and a sequence number; an empty final message ends the view", async (t) => {
    const parts = await uplinkParts(t);
    const { live, revoked } = await liveStreams(t, parts, await fakeFfmpeg(parts.dir, 5));
    parts.link.up();
    const info = await live.begin("cam-1", 30);
    const topic = parts.topics.live("cam-1");
    const isFinal = (message: { options: { userProperties?: Record<string, string> } }) =>
      message.options.userProperties?.["final"] === "true";
    await until(() => live.sessions().length === 0 && parts.link.on(topic).some(isFinal));
    const messages = parts.link.on(topic);
    const properties = messages.map((message) => message.options.userProperties ?? {});
    assert.ok(properties.every((property) => property["session"] === info.session));
    assert.deepEqual(
      properties.map((property) => Number(property["seq"])),
      properties.map((_, index) => index),
    );
    const final = messages.at(-1);
    assert.equal(final?.payload.length, 0);
    assert.equal(final?.options.userProperties?.["final"], "true");
    const bytes = messages.reduce((sum, message) => sum + message.payload.length, 0);
    assert.equal(bytes, 5 * 16384);
    assert.deepEqual(revoked, ["cam-1"], "the relay ticket is given back");
  });

  it("the link going down ends the view and its ffmpeg", async (t) => {
    const parts = await uplinkParts(t);
    const { live } = await liveStreams(t, parts, await fakeFfmpeg(parts.dir, 0));
    parts.link.up();
    await live.begin("cam-1", 600);
    await until(() => parts.link.published.length > 2);
    parts.link.down();
    await until(() => live.sessions().length === 0);
  });

  it("a piece the broker refuses ends the view", async (t) => {
    const parts = await uplinkParts(t);
    const { live } = await liveStreams(t, parts, await fakeFfmpeg(parts.dir, 0));
    parts.link.answer((topic) => topic === parts.topics.live("cam-1"), 0x87);
    parts.link.up();
    await live.begin("cam-1", 600);
    await until(() => live.sessions().length === 0);
  });

  it("no live view starts while the link is down", async (t) => {
    const parts = await uplinkParts(t);
    const { live } = await liveStreams(t, parts, await fakeFfmpeg(parts.dir, 5));
    await assert.rejects(
      live.begin("cam-1", 30),
      (error: unknown) => error instanceof CommandRefusedError && error.code === "unavailable",
    );
  });
});
