import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uplinkParts } from "../helpers/uplink-parts.js";

describe("EventLog (events/event-log)", () => {
  it("what goes with an event is written in its commit, before the bus hears of it; a writer that fails is rolled back alone", async (t) => {
    const { store, bus, events } = await uplinkParts(t);
    store.db.exec("CREATE TABLE beside (event_id INTEGER, what TEXT)");
    const insert = store.db.prepare("INSERT INTO beside (event_id, what) VALUES (?, ?)");
    const heard: { id: number; inTransaction: boolean; beside: number }[] = [];
    events.alongside(({ id }) => {
      assert.equal(store.db.inTransaction, true);
      insert.run(id, "kept");
    });
    events.alongside(({ id, kind }) => {
      insert.run(id, "rolled back");
      if (kind === "motion") throw new Error("this writer fails");
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
});
