import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { until, uplinkParts } from "../helpers/uplink-parts.js";

describe("OutboxSender on the fake link", () => {
  it("sends what is queued once the link is up, most urgent first, and deletes each on its acknowledgement", async (t) => {
    const parts = await uplinkParts(t);
    const { outbox, topics, link, store } = parts;
    outbox.put([
      { topic: topics.box("health"), family: "health", body: { n: 1 } },
      { topic: topics.box("status"), family: "status", body: { n: 2 } },
    ]);
    await parts.sender();
    assert.equal(link.published.length, 0, "nothing goes while the link is down");
    link.up();
    await until(() => store.repos.outbox.stats().count === 0);
    assert.deepEqual(
      link.published.map((message) => message.topic),
      [topics.box("status"), topics.box("health")],
    );
  });

  for (const sessionPresent of [true, false]) {
    it(`a drop with messages in flight loses none: they go again on the next connection (session ${sessionPresent ? "kept" : "lost"})`, async (t) => {
      const parts = await uplinkParts(t);
      const { outbox, topics, link, store } = parts;
      link.autoAck = false;
      link.up();
      const sender = await parts.sender();
      outbox.put(
        [1, 2, 3, 4, 5].map((n) => ({
          topic: topics.box("events"),
          family: "events",
          body: { n },
        })),
      );
      await until(() => link.inFlight.length === 5);
      const ids = link.inFlight.map((message) => message.options.userProperties?.["msg-id"]);
      link.down();
      assert.equal(store.repos.outbox.stats().count, 5, "unacknowledged rows stay");
      assert.equal(sender.status().inFlight, 0);
      link.autoAck = true;
      link.up({ sessionPresent });
      await until(() => store.repos.outbox.stats().count === 0);
      const resent = link.published.map((message) => message.options.userProperties?.["msg-id"]);
      assert.deepEqual(
        resent,
        ids,
        "the same messages, in order, with the same ids to de-duplicate by",
      );
    });
  }

  it("a message the broker refuses is dropped and counted; the others go on", async (t) => {
    const parts = await uplinkParts(t);
    const { outbox, topics, link, store } = parts;
    link.answer((topic) => topic === topics.box("health"), 0x87);
    link.up();
    const sender = await parts.sender();
    outbox.put([
      { topic: topics.box("health"), family: "health", body: {} },
      { topic: topics.box("events"), family: "events", body: {} },
    ]);
    await until(() => store.repos.outbox.stats().count === 0);
    assert.equal(sender.status().refused, 1);
    assert.deepEqual(
      link.published.map((message) => message.topic),
      [topics.box("events")],
    );
  });

  it("a busy broker costs the connection, not the message: it is sent again after a reconnect", async (t) => {
    const parts = await uplinkParts(t);
    const { outbox, topics, link, store } = parts;
    const clear = link.answer((topic) => topic === topics.box("events"), 0x97);
    link.up();
    await parts.sender();
    outbox.put([{ topic: topics.box("events"), family: "events", body: { n: 1 } }]);
    await until(() => link.reconnects.length === 1);
    assert.equal(link.reconnects[0], "the broker is busy");
    clear();
    await until(() => store.repos.outbox.stats().count === 0);
    assert.equal(link.on(topics.box("events")).length, 1);
  });

  it("a message queued inside a transaction leaves once that transaction has committed, and never if it is rolled back", async (t) => {
    const parts = await uplinkParts(t);
    const { outbox, topics, link, store } = parts;
    link.up();
    await parts.sender();
    assert.throws(() =>
      store.db.transaction(() => {
        outbox.put([{ topic: topics.box("events"), family: "events", body: { n: 1 } }]);
        throw new Error("the event that went with it could not be stored");
      })(),
    );
    store.db.transaction(() => {
      outbox.put([{ topic: topics.box("events"), family: "events", body: { n: 2 } }]);
      assert.equal(link.inFlight.length, 0, "nothing leaves before its commit");
    })();
    await until(() => store.repos.outbox.stats().count === 0 && link.published.length > 0);
    assert.deepEqual(
      link.published.map((message) => (JSON.parse(message.payload.toString()) as { n: number }).n),
      [2],
    );
  });

  it("expired messages are dropped unsent and counted", async (t) => {
    const parts = await uplinkParts(t);
    const { outbox, topics, link, store } = parts;
    outbox.put([{ topic: topics.box("health"), family: "health", body: {}, ttlMs: -1 }]);
    const sender = await parts.sender();
    link.up();
    await until(() => store.repos.outbox.stats().count === 0);
    assert.equal(sender.status().expired, 1);
    assert.equal(link.published.length, 0);
  });
});
