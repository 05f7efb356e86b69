import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { parseMediaTopic } from "../../src/protocol/index.js";
import type { SegmentRecord } from "../../src/store/index.js";
import { type ForwardMode, VideoForwarder } from "../../src/uplink/index.js";
import { defer } from "../helpers/temp.js";
import { closedSegment, type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

const SEGMENT_MS = 10_000;

async function start(t: Parameters<typeof uplinkParts>[0], parts: UplinkParts, mode: ForwardMode) {
  const video = new VideoForwarder({
    store: parts.store,
    session: parts.link,
    sender: { whenIdle: async () => undefined },
    bus: parts.bus,
    events: parts.events,
    topics: parts.topics,
    chunkBytes: 4096,
    bucket: undefined,
    forwardMode: () => mode,
    freshMs: 20_000,
    logger: silentLogger(),
  });
  await video.start(new AbortController().signal);
  defer(t, () => video.stop());
}

/** Six closed segments of cam-1, ten minutes old (a backlog: none is live). */
async function backlog(parts: UplinkParts): Promise<SegmentRecord[]> {
  await closedSegment(parts, "cam-1", 10).then((s) =>
    parts.store.repos.segments.markGone([s.id], "lost"),
  );
  const firstMs = Date.now() - 600_000;
  const segments: SegmentRecord[] = [];
  for (let index = 0; index < 6; index++) {
    const content = randomBytes(5000);
    const path = join(parts.dir, `backlog-${index}.ts`);
    await writeFile(path, content);
    segments.push(
      parts.store.repos.segments.insert({
        cameraId: "cam-1",
        path,
        startMs: firstMs + index * SEGMENT_MS,
        endMs: firstMs + (index + 1) * SEGMENT_MS,
        bytes: content.length,
        sha256: createHash("sha256").update(content).digest("hex"),
        state: "closed",
      }),
    );
  }
  return segments;
}

/** A window around an event covering these segments, as EventHolds opens it. */
function eventAround(parts: UplinkParts, eventId: number, from: SegmentRecord, to: SegmentRecord) {
  parts.store.repos.eventWindows.open({
    eventId,
    cameraId: from.cameraId,
    kind: "intrusion",
    fromMs: from.startMs + 1,
    toMs: to.endMs - 1,
    holdUntilMs: null,
  });
  parts.bus.emit("boxEvent", {
    id: eventId,
    tsMs: from.startMs + 1,
    cameraId: from.cameraId,
    kind: "intrusion",
    detail: { phase: "pulse" },
  });
}

const sentSegments = (parts: UplinkParts) => [
  ...new Set(parts.link.published.map((message) => parseMediaTopic(message.topic)?.segmentId)),
];
const forwarded = (parts: UplinkParts, segment: SegmentRecord) =>
  parts.store.repos.segments.get(segment.id)?.state === "forwarded";

describe("VideoForwarder and camera events (uplink/video-forwarder)", () => {
  it("continuous: the segments around an event go before the backlog", async (t) => {
    const parts = await uplinkParts(t);
    const segments = await backlog(parts);
    eventAround(parts, 1, segments[3]!, segments[4]!);
    parts.link.up();
    await start(t, parts, "continuous");
    await until(() => segments.every((segment) => forwarded(parts, segment)));
    assert.deepEqual(
      sentSegments(parts),
      [3, 4, 0, 1, 2, 5].map((index) => segments[index]!.id),
    );
  });

  it("events: only the segments around events, and a clip asked for; the rest stays", async (t) => {
    const parts = await uplinkParts(t);
    const segments = await backlog(parts);
    eventAround(parts, 1, segments[2]!, segments[2]!);
    parts.link.up();
    await start(t, parts, "events");
    await until(() => forwarded(parts, segments[2]!));
    // An event later on: the segments before it were recorded already.
    eventAround(parts, 2, segments[4]!, segments[4]!);
    await until(() => forwarded(parts, segments[4]!));
    parts.store.repos.videoTransfers.request([segments[0]!.id], "clip-1", Date.now());
    parts.bus.emit("videoRequested", { segmentIds: [segments[0]!.id] });
    await until(() => forwarded(parts, segments[0]!));
    assert.deepEqual(
      sentSegments(parts),
      [2, 4, 0].map((index) => segments[index]!.id),
    );
    for (const index of [1, 3, 5])
      assert.equal(parts.store.repos.segments.get(segments[index]!.id)?.state, "closed");
  });
});
