import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { type SegmentRecord, Store } from "../../src/store/index.js";
import { defer, tempDir } from "../helpers/temp.js";

const T0 = Date.UTC(2026, 11, 3, 4, 0, 0);
const DAY = 24 * 3_600_000;

async function openStore(t: Parameters<typeof tempDir>[0]): Promise<Store> {
  const store = new Store(join(await tempDir(t), "camgate.db"), silentLogger());
  store.open();
  defer(t, () => store.close());
  return store;
}

function segment(store: Store, cameraId: string, second: number, bytes = 1000): SegmentRecord {
  return store.repos.segments.insert({
    cameraId,
    path: `/rec/${cameraId}/${second}.ts`,
    startMs: T0 + second * 1000,
    endMs: T0 + (second + 2) * 1000,
    bytes,
    sha256: "0".repeat(64),
    state: "closed",
  });
}

function cameraEvent(store: Store, cameraId: string, second: number, kind = "intrusion"): number {
  return store.repos.events.append({
    tsMs: T0 + second * 1000,
    cameraId,
    kind,
    detail: { phase: "start" },
  });
}

const holdOf = (store: Store, id: number) =>
  (
    store.db.prepare("SELECT event_hold_until_ms AS h FROM segments WHERE id = ?").get(id) as {
      h: number | null;
    }
  ).h;

describe("event windows and links (store/repositories/event-windows)", () => {
  it("a camera event is linked to the segment open at its time once that segment is indexed, and a late one at once", async (t) => {
    const store = await openStore(t);
    const { repos } = store;
    const early = segment(store, "cam-1", 0);
    // The segment from 2 s to 4 s is still being recorded when the event at 3 s arrives.
    const live = cameraEvent(store, "cam-1", 3);
    const box = repos.events.append({
      tsMs: T0 + 3000,
      cameraId: "cam-1",
      kind: "camera_offline",
      detail: {},
    });
    const other = cameraEvent(store, "cam-2", 3);
    assert.deepEqual(repos.eventWindows.segmentsOf(live), []);
    const open = segment(store, "cam-1", 2);
    assert.deepEqual(repos.eventWindows.segmentsOf(live), [open.id]);
    assert.deepEqual(
      repos.eventWindows.eventsOf(open.id),
      [live],
      "not the box's event, not cam-2's",
    );
    assert.deepEqual(repos.eventWindows.segmentsOf(box), []);
    assert.deepEqual(repos.eventWindows.segmentsOf(other), []);
    // An event that reaches the box late, in a segment already indexed.
    const late = cameraEvent(store, "cam-1", 1);
    assert.deepEqual(repos.eventWindows.segmentsOf(late), [early.id]);
    assert.deepEqual(
      [...repos.eventWindows.eventCounts([early.id, open.id, 999]).entries()],
      [
        [early.id, 1],
        [open.id, 1],
      ],
    );
    // Forgotten segments and events take their links with them.
    store.db.prepare("DELETE FROM segments WHERE id = ?").run(early.id);
    assert.deepEqual(repos.eventWindows.segmentsOf(late), []);
  });

  it("a window holds the segments in it, those indexed later too; a released window leaves the holds of the others", async (t) => {
    const store = await openStore(t);
    const { eventWindows } = store.repos;
    const segments = [0, 2, 4, 6, 8].map((second) => segment(store, "cam-1", second));
    const ids = segments.map((s) => s.id);
    // Event 1 at 3 s: 2 s before, 4 s after (1 s to 7 s), held a day; event 2 at 7 s, 3 days.
    eventWindows.open({
      eventId: 1,
      cameraId: "cam-1",
      kind: "intrusion",
      fromMs: T0 + 1000,
      toMs: T0 + 7000,
      holdUntilMs: T0 + DAY,
    });
    eventWindows.open({
      eventId: 2,
      cameraId: "cam-1",
      kind: "tamper",
      fromMs: T0 + 6500,
      toMs: T0 + 11_000,
      holdUntilMs: T0 + 3 * DAY,
    });
    const later = segment(store, "cam-1", 10);
    const unrelated = segment(store, "cam-2", 4);
    assert.deepEqual(
      [...ids, later.id, unrelated.id].map((id) => holdOf(store, id)),
      [T0 + DAY, T0 + DAY, T0 + DAY, T0 + 3 * DAY, T0 + 3 * DAY, T0 + 3 * DAY, null],
    );
    assert.equal(eventWindows.heldBytes(T0), 6000);
    assert.equal(eventWindows.heldBytes(T0 + 2 * DAY), 3000, "the first hold ended");
    assert.deepEqual(
      store.repos.segments.evictable("closed", T0, 10).map((s) => s.id),
      [unrelated.id],
    );

    eventWindows.release(eventWindows.held(T0, 1), T0);
    assert.deepEqual(
      [...ids, later.id].map((id) => holdOf(store, id)),
      [null, null, null, T0 + 3 * DAY, T0 + 3 * DAY, T0 + 3 * DAY],
      "the segment both covered keeps the second hold",
    );
    assert.deepEqual(
      eventWindows.held(T0, 10).map((w) => w.eventId),
      [2],
    );
    assert.equal(eventWindows.heldBytes(T0), 3000);
  });

  it("the next segment to forward is the oldest unsent one around an event; a window recorded past is done", async (t) => {
    const store = await openStore(t);
    const { eventWindows, segments: repo } = store.repos;
    const all = [0, 2, 4, 6].map((second) => segment(store, "cam-1", second));
    eventWindows.open({
      eventId: 7,
      cameraId: "cam-1",
      kind: "motion",
      fromMs: T0 + 2500,
      toMs: T0 + 5000,
      holdUntilMs: null,
    });
    assert.equal(holdOf(store, all[1]!.id), null, "a window without days holds nothing");
    const next = () => eventWindows.nextToForward(["cam-1"], T0 - DAY)?.segmentId;
    assert.equal(next(), all[1]!.id);
    repo.setState(all[1]!.id, "forwarded", T0);
    assert.equal(next(), all[2]!.id);
    repo.setState(all[2]!.id, "forwarded", T0);
    assert.equal(next(), undefined);
    assert.equal(
      (
        store.db.prepare("SELECT sent FROM event_windows WHERE event_id = 7").get() as {
          sent: number;
        }
      ).sent,
      1,
    );
    // The window of a camera that forwards no event video is done too, once recorded past.
    eventWindows.open({
      eventId: 8,
      cameraId: "cam-1",
      kind: "motion",
      fromMs: T0,
      toMs: T0 + 1000,
      holdUntilMs: null,
    });
    assert.equal(eventWindows.nextToForward(["cam-2"], T0 - DAY), undefined, "not cam-2's");
    assert.equal(eventWindows.nextToForward(["cam-1"], T0 - DAY), undefined, "done");
    assert.equal(eventWindows.covers("cam-1", T0 + 4000, T0 + 6000), true);
    assert.equal(eventWindows.covers("cam-1", T0 + 6000, T0 + 8000), false);
  });

  it("the oldest events are pruned, never the newest kept ones nor one the uplink has not copied", async (t) => {
    const store = await openStore(t);
    const { events } = store.repos;
    for (let second = 0; second < 50; second++) cameraEvent(store, "cam-1", second);
    assert.equal(events.pruneOldest(10, 20), 10);
    assert.equal(events.count(), 40);
    assert.equal(events.pruneOldest(100, 20), 20, "the newest 20 stay");
    assert.equal(events.count(), 20);
    store.db.prepare("INSERT INTO uplink_cursors (feed, last_id) VALUES ('events', 35)").run();
    assert.equal(events.pruneOldest(100, 0), 5, "only what the uplink copied");
    assert.deepEqual(
      events
        .list({ limit: 1000 })
        .map((e) => e.id)
        .at(-1),
      36,
    );
  });
});
