import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Simulator, type SimCamera } from "../../src/sim/index.js";
import type { SegmentRecord } from "../../src/store/index.js";
import { type Box, boxConnected, startBox, storedSegments } from "../helpers/box.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { keptPayloads, payloadProblems, payloadValidators } from "../helpers/asyncapi.js";
import { waitFor } from "../helpers/recording.js";
import { defer, tempDir } from "../helpers/temp.js";
import { startCenter, uplinkWorld } from "../helpers/uplink.js";

const SITE = "site-ev";

/** Segments of the box that lie in a window around one of its camera events. */
function aroundEvents(box: Box): number[] {
  return (
    box.store.db
      .prepare(
        `SELECT DISTINCT s.id FROM event_windows AS w JOIN segments AS s
           ON s.camera_id = w.camera_id AND s.start_ms < w.to_ms AND s.end_ms > w.from_ms
         WHERE s.state IN ('closed', 'forwarded') ORDER BY s.id`,
      )
      .all() as { id: number }[]
  ).map((row) => row.id);
}

const settled = (box: Box) =>
  (
    box.store.db.prepare("SELECT count(*) AS n FROM event_windows WHERE sent = 0").get() as {
      n: number;
    }
  ).n === 0;

const ids = (list: readonly { segmentId: number }[]) =>
  list.map((segment) => segment.segmentId).sort((a, b) => a - b);

describe("forward: events on a slow link", () => {
  it(
    "the segments around every camera event reach the center at 300 kbit/s, nothing else unless a clip is asked for",
    { timeout: 120_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const centerDir = join(dir, "center");
      const center = await startCenter(t, world, centerDir);
      // 200 kbit/s of video each: continuous recording of both would not fit the link.
      const sim = new Simulator({
        baseIp: "127.0.120.10",
        cameras: 2,
        profile: "hardened",
        ffmpeg: "ffmpeg",
        multicast: false,
        discoveryPort: 43920,
        video: { kbps: 200 },
      });
      await sim.start();
      defer(t, () => sim.stop());
      const cameras = sim.describe().map((camera, index) => ({
        id: `cam-${index}`,
        ip: camera.address,
        streamUri: camera.streams[0]!,
        username: camera.username,
        password: camera.password,
        xaddr: camera.xaddr,
      }));
      const box = await startBox(t, world, dir, SITE, cameras, {
        uplink: ", maxBitsPerSecond: 300000",
        other: [
          "recorder: {forward: events}",
          "events: {pullWait: 1s, retain: {intrusion: {preSeconds: 2, postSeconds: 2}, " +
            "motion: {preSeconds: 2, postSeconds: 2}}}",
        ],
      });
      await boxConnected(box);
      const began = Date.now();
      const phase = (name: string) => t.diagnostic(`${name}: ${Date.now() - began} ms`);
      const [first, second] = sim.cameras as [SimCamera, SimCamera];
      const recorded = (id: string, count: number) => () =>
        storedSegments(box.store, id).length >= count;
      for (const [camera, id] of [
        [first, "cam-0"],
        [second, "cam-1"],
      ] as const) {
        await waitFor(`${id} recording`, recorded(id, 3), 30_000);
        await waitFor(
          `${id} events subscribed`,
          () => camera.journal.entries().some((entry) => entry.operation === "PullMessages"),
          30_000,
        );
      }
      phase("recording and subscribed");
      const cameraEvents = () =>
        box.store.repos.events
          .list({})
          .filter((event) => ["intrusion", "motion"].includes(event.kind));

      // An intrusion of a few seconds on cam-0, a motion on cam-1, at the same time.
      const eventsOf = (id: string) => cameraEvents().filter((event) => event.cameraId === id);
      await Promise.all(
        (
          [
            [first, "cam-0", "intrusion"],
            [second, "cam-1", "motion"],
          ] as const
        ).map(async ([camera, id, kind]) => {
          camera.events!.set(kind, true);
          await waitFor(`${id} ${kind} start`, () => eventsOf(id).length === 1, 20_000);
          const segments = storedSegments(box.store, id).length;
          await waitFor(`${id} two more segments`, recorded(id, segments + 2), 20_000);
          camera.events!.set(kind, false);
          await waitFor(`${id} ${kind} end`, () => eventsOf(id).length === 2, 20_000);
        }),
      );
      phase("events done");
      await waitFor(
        "every segment around the events at the center",
        () =>
          settled(box) &&
          aroundEvents(box).every((id) =>
            center.receivedSegments().some((s) => s.segmentId === id),
          ),
        60_000,
      );
      phase("segments around events at the center");
      const expected = aroundEvents(box);
      t.diagnostic(
        `${expected.length} segments, ${center
          .receivedSegments()
          .reduce((sum, s) => sum + s.bytes, 0)} bytes`,
      );
      assert.ok(expected.length >= 6, `${expected.length} segments around 4 events`);
      assert.deepEqual(ids(center.receivedSegments()), expected, "only the segments around events");
      assert.ok(center.receivedSegments().every((segment) => segment.verified));
      for (const event of cameraEvents()) {
        const covering = box.store.repos.eventWindows.segmentsOf(event.id);
        assert.equal(covering.length, 1, `event ${event.id} has its segment`);
        assert.ok(expected.includes(covering[0]!), `event ${event.id}'s segment was sent`);
      }
      const local = (id: string) =>
        storedSegments(box.store, id).filter((segment) => segment.state === "closed");
      assert.ok(local("cam-0").length > 0 && local("cam-1").length > 0, "the rest stays local");

      // A clip on request goes too: the first two segments of cam-1, outside any event.
      const commands = await CommandClient.connect(t, world);
      const [one, two] = storedSegments(box.store, "cam-1") as [SegmentRecord, SegmentRecord];
      const reply = await commands.send(SITE, "clip.request", {
        camera: "cam-1",
        from: new Date(one.startMs).toISOString(),
        to: new Date(two.endMs - 1).toISOString(),
        ...authorization(),
      });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      await waitFor(
        "the clip at the center",
        () => center.receivedSegments().length === expected.length + 2,
        30_000,
      );
      assert.deepEqual(
        ids(center.receivedSegments()),
        [...expected, one.id, two.id].sort((a, b) => a - b),
      );

      phase("clip at the center");
      // The center learns which segment holds each event, in the payloads the contract describes.
      await center.stop();
      const validators = await payloadValidators();
      const kept = await keptPayloads(centerDir);
      const linked = new Set<number>();
      assert.ok(
        kept.some((payload) => payload["schema"] === "camgate.health/1" && payload["eventHolds"]),
        "health reports the event holds",
      );
      for (const payload of kept) {
        assert.deepEqual(payloadProblems(validators, payload), [], JSON.stringify(payload));
        if (payload["schema"] === "camgate.segment/1")
          for (const id of (payload["eventIds"] as number[] | undefined) ?? []) linked.add(id);
        if (
          payload["schema"] === "camgate.event/1" &&
          (payload["segmentIds"] as number[] | undefined)?.length
        )
          linked.add(payload["id"] as number);
      }
      for (const event of cameraEvents())
        assert.ok(linked.has(event.id), `the center can tell event ${event.id}'s segment`);
    },
  );
});
