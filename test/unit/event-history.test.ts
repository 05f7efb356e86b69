import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EventHistory, EVENTS_ALWAYS_KEPT } from "../../src/events/index.js";
import { silentLogger } from "../../src/log/index.js";
import { Store, StoreBudget } from "../../src/store/index.js";
import { defer, tempDir } from "../helpers/temp.js";

describe("EventHistory (events/event-history)", () => {
  it("over the database budget the oldest events give way, down to the newest kept ones; within it nothing goes", async (t) => {
    const store = new Store(join(await tempDir(t), "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const detail = {
      phase: "pulse",
      topic: "tns1:RuleEngine/LineDetector/Crossed",
      pad: "x".repeat(400),
    };
    const insert = store.db.transaction((count: number) => {
      for (let index = 0; index < count; index++)
        repos.events.append({ tsMs: index, cameraId: "cam-1", kind: "line-crossing", detail });
    });
    insert(20_000);
    const used = new StoreBudget(store, 0).usage().bytes;
    const history = (maxBytes: number) =>
      new EventHistory({
        store,
        budget: new StoreBudget(store, maxBytes),
        logger: silentLogger(),
        everyMs: 60_000,
      });

    assert.equal(history(used).prune(), 0, "within the budget");
    assert.equal(repos.events.count(), 20_000);

    // Half the space: the oldest events go until the pages in use fit.
    const half = Math.floor(used / 2);
    const pruned = history(half).prune();
    assert.ok(pruned >= 9000 && pruned < 20_000 - EVENTS_ALWAYS_KEPT, `${pruned} pruned`);
    assert.equal(new StoreBudget(store, half).over(), false);
    const oldest = repos.events.list({ limit: 20_000 }).at(-1)!;
    assert.equal(oldest.id, pruned + 1, "oldest first");

    // A budget nothing fits: the newest EVENTS_ALWAYS_KEPT stay.
    history(1).prune();
    assert.equal(repos.events.count(), EVENTS_ALWAYS_KEPT);
    assert.equal(repos.events.lastId(), 20_000);
  });
});
