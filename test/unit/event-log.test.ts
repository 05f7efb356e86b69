import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uplinkParts } from "../helpers/uplink-parts.js";

describe("EventLog (events/event-log)", () => {
  it("what goes with an event is written in its commit, before the bus hears of it; a writer that fails is rolled back alone", async (t) => {
    const { store, bus, events } = await uplinkParts(t);
    store.db.exec("CREATE TABLE beside (event_id INTEGER, what TEXT)");
    const insert = store.db.prepare("INSERT INTO beside (event_id, what) VALUES (?, ?)");
    const heard: { id: number; inTransaction: boolean; beside: number }[] = [];
    events.alongside((stored) => {
      assert.equal(store.db.inTransaction, true);
      for (const { id } of stored) insert.run(id, "kept");
    });
    events.alongside((stored) => {
      for (const { id } of stored) insert.run(id, "rolled back");
      if (stored.some(({ kind }) => kind === "motion")) throw new Error("this writer fails");
    });
    bus.on("boxEvent", ({ id }) =>
      heard.push({
        id,
        inTransaction: store.db.inTransaction,
        beside: store.db
          .prepare("SELECT count(*) AS n FROM beside WHERE event_id = ?")
          .pluck()
          .get(id) as number,
      }),
    );
    events.recordCameraEvent("cam-1", Date.now(), "motion", { phase: "start" });
    events.record("camera_offline", "cam-1", { reason: "test" });
    const stored = store.repos.events.after(0, 10);
    assert.deepEqual(
      stored.map((event) => event.kind),
      ["motion", "camera_offline"],
      "the event stays when a writer beside it fails",
    );
    const rows = store.db.prepare("SELECT event_id AS id, what FROM beside ORDER BY rowid").all();
    assert.deepEqual(rows, [
      { id: stored[0]!.id, what: "kept" },
      { id: stored[1]!.id, what: "kept" },
      { id: stored[1]!.id, what: "rolled back" },
    ]);
    assert.deepEqual(heard, [
      { id: stored[0]!.id, inTransaction: false, beside: 1 },
      { id: stored[1]!.id, inTransaction: false, beside: 2 },
    ]);
  });

  it("camera events recorded together are stored in one commit: each writer hears them together, in order, and the bus hears each once they are stored", async (t) => {
    const { store, bus, events } = await uplinkParts(t);
    const written: number[][] = [];
    events.alongside((stored) => {
      assert.equal(store.db.inTransaction, true);
      written.push(stored.map(({ id }) => id));
    });
    const heard: { id: number; kind: string; stored: boolean }[] = [];
    bus.on("boxEvent", ({ id, kind }) =>
      heard.push({ id, kind, stored: store.repos.events.after(id - 1, 1)[0]?.id === id }),
    );
    const ts = Date.now();
    events.recordCameraEvents([
      { cameraId: "cam-1", tsMs: ts, kind: "motion", detail: { phase: "start" } },
      { cameraId: "cam-2", tsMs: ts + 100, kind: "motion", detail: { phase: "end" } },
      { cameraId: "cam-1", tsMs: ts + 200, kind: "tamper", detail: { phase: "pulse" } },
    ]);
    events.recordCameraEvents([]);
    const stored = store.repos.events.after(0, 10);
    assert.deepEqual(
      stored.map(({ cameraId, kind, tsMs }) => ({ cameraId, kind, tsMs })),
      [
        { cameraId: "cam-1", kind: "motion", tsMs: ts },
        { cameraId: "cam-2", kind: "motion", tsMs: ts + 100 },
        { cameraId: "cam-1", kind: "tamper", tsMs: ts + 200 },
      ],
    );
    const ids = stored.map(({ id }) => id);
    assert.deepEqual(written, [ids], "one writer call for the three, none for nothing");
    assert.deepEqual(
      heard,
      stored.map(({ id, kind }) => ({ id, kind, stored: true })),
    );
  });
});
