import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { silentLogger } from "../../src/log/index.js";
import { parseChunkHeader, parseMediaTopic } from "../../src/protocol/index.js";
import { VideoForwarder } from "../../src/uplink/index.js";
import type { FakePublished } from "../helpers/fake-uplink.js";
import { defer } from "../helpers/temp.js";
import { closedSegment, type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

const CHUNK = 1000;

async function forwarder(t: Parameters<typeof uplinkParts>[0], parts: UplinkParts) {
  const video = new VideoForwarder({
    store: parts.store,
    session: parts.link,
    sender: { whenIdle: async () => undefined },
    bus: parts.bus,
    events: parts.events,
    topics: parts.topics,
    chunkBytes: CHUNK,
    bucket: undefined,
    forwardMode: () => "continuous",
    freshMs: 20_000,
    logger: silentLogger(),
  });
  await video.start(new AbortController().signal);
  defer(t, () => video.stop());
  return video;
}

function chunkOf(message: FakePublished) {
  const topic = parseMediaTopic(message.topic);
  assert.ok(topic?.segmentId, message.topic);
  const header = parseChunkHeader(topic.segmentId, message.options.userProperties);
  assert.ok(header, "the chunk header parses with the protocol's own reader");
  return header;
}

describe("VideoForwarder on the fake link", () => {
  it("a segment goes as chunks the protocol reads back, and is marked forwarded", async (t) => {
    const parts = await uplinkParts(t);
    const segment = await closedSegment(parts, "cam-1", 2500);
    parts.link.up();
    await forwarder(t, parts);
    await until(() => parts.store.repos.segments.get(segment.id)?.forwardedMs != null);
    const chunks = parts.link.published.map((message) => ({ header: chunkOf(message), message }));
    assert.deepEqual(
      chunks.map(({ header }) => [header.chunk, header.chunks, header.chunkBytes]),
      [
        [0, 3, CHUNK],
        [1, 3, CHUNK],
        [2, 3, CHUNK],
      ],
    );
    const whole = Buffer.concat(chunks.map(({ message }) => message.payload));
    assert.equal(createHash("sha256").update(whole).digest("hex"), segment.sha256);
  });

  it("a drop mid-segment resumes from the last acknowledged chunk: each chunk arrives once", async (t) => {
    const parts = await uplinkParts(t);
    const { link } = parts;
    const segment = await closedSegment(parts, "cam-1", 3500);
    link.autoAck = false;
    link.up();
    await forwarder(t, parts);
    await until(() => link.inFlight.length === 1);
    link.ackAll(); // chunk 0
    await until(() => link.inFlight.length === 1);
    link.down(); // chunk 1 in flight
    link.autoAck = true;
    link.up({ sessionPresent: false });
    await until(() => parts.store.repos.segments.get(segment.id)?.forwardedMs != null);
    assert.deepEqual(
      link.published.map((message) => chunkOf(message).chunk),
      [0, 1, 2, 3],
    );
  });

  it("a refused chunk is not retried in a loop: the forwarder waits for something to change", async (t) => {
    const parts = await uplinkParts(t);
    const { link, topics } = parts;
    const segment = await closedSegment(parts, "cam-1", 500);
    const clear = link.answer((topic) => topic === topics.video("cam-1", segment.id), 0x87);
    let attempts = 0;
    const publish = link.publish.bind(link);
    link.publish = (...args) => (attempts++, publish(...args));
    link.up();
    await forwarder(t, parts);
    await until(() => attempts === 1 && link.inFlight.length === 0);
    for (let turn = 0; turn < 100; turn++) await tick();
    assert.equal(attempts, 1, "no retry without a change");
    clear();
    parts.bus.emit("videoRequested", { segmentIds: [segment.id] });
    await until(() => parts.store.repos.segments.get(segment.id)?.forwardedMs != null);
    assert.equal(attempts, 2);
  });

  it("a busy broker: reconnect, then the same chunk again", async (t) => {
    const parts = await uplinkParts(t);
    const { link, topics } = parts;
    const segment = await closedSegment(parts, "cam-1", 500);
    const clear = link.answer((topic) => topic === topics.video("cam-1", segment.id), 0x97);
    link.up();
    await forwarder(t, parts);
    await until(() => link.reconnects.length === 1);
    clear();
    await until(() => parts.store.repos.segments.get(segment.id)?.forwardedMs != null);
    assert.deepEqual(
      link.published.map((message) => chunkOf(message).chunk),
      [0],
    );
  });
});
