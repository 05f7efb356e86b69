import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { UplinkPublishers } from "../../src/uplink/index.js";
import { defer } from "../helpers/temp.js";
import { closedSegment, type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

async function publishers(t: Parameters<typeof uplinkParts>[0], parts: UplinkParts) {
  const publishers = new UplinkPublishers({
    store: parts.store,
    outbox: parts.outbox,
    topics: parts.topics,
    bus: parts.bus,
    events: parts.events,
    recording: true,
    certificate: () => undefined,
    logger: silentLogger(),
  });
  await publishers.start(new AbortController().signal);
  defer(t, () => publishers.stop());
  return publishers;
}

const bodies = (parts: UplinkParts, filter: string) =>
  parts.link
    .on(filter)
    .map((message) => JSON.parse(message.payload.toString()) as Record<string, unknown>);

describe("UplinkPublishers with the outbox sender on the fake link", () => {
  for (const sessionPresent of [true, false]) {
    it(`a link drop is an uplink_down event the center gets once the link is back (session ${sessionPresent ? "kept" : "lost"})`, async (t) => {
      const parts = await uplinkParts(t);
      await parts.sender();
      await publishers(t, parts);
      parts.link.up();
      parts.link.down("keepalive timeout");
      parts.link.up({ sessionPresent });
      const events = parts.topics.box("events");
      await until(() => bodies(parts, events).some((body) => body["kind"] === "uplink_down"));
      const down = bodies(parts, events).find((body) => body["kind"] === "uplink_down");
      assert.equal((down?.["detail"] as { error: string }).error, "keepalive timeout");
    });
  }

  it("segments closed while the link was down reach the center's index in order once it is back", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    await publishers(t, parts);
    const first = await closedSegment(parts, "cam-1", 10);
    parts.bus.emit("segmentClosed", { segment: first });
    const second = await closedSegment(parts, "cam-1", 20);
    parts.bus.emit("segmentClosed", { segment: second });
    parts.link.up({ sessionPresent: false });
    const topic = parts.topics.camera("cam-1", "segments");
    await until(() => parts.link.on(topic).length === 2);
    assert.deepEqual(
      bodies(parts, topic).map((body) => body["segmentId"]),
      [first.id, second.id],
    );
  });
});
