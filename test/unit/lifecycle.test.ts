import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ComponentGroup,
  ComponentStartError,
  eachLimited,
  EventBus,
  StopTimeoutError,
} from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { FakeComponent } from "../helpers/fake-component.js";

describe("component group", () => {
  it("starts in order and stops in reverse, once", async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(
      ["a", "b", "c"].map((name) => new FakeComponent(name, journal)),
      silentLogger(),
    );
    await group.start(new AbortController().signal);
    const [first, second] = await Promise.all([group.stop(1000), group.stop(1000)]);
    assert.equal(first, second);
    assert.deepEqual(journal, ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
    assert.deepEqual(first.stopped, ["c", "b", "a"]);
    assert.deepEqual(first.failures, []);
  });

  it("stops what was started when a later component fails to start", async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(
      [
        new FakeComponent("a", journal),
        new FakeComponent("b", journal, { failStart: true }),
        new FakeComponent("c", journal),
      ],
      silentLogger(),
    );
    await assert.rejects(group.start(new AbortController().signal), (error: Error) => {
      assert.ok(error instanceof ComponentStartError);
      assert.equal(error.component, "b");
      assert.match(String((error.cause as Error).message), /b cannot start/);
      return true;
    });
    assert.deepEqual(journal, ["start a", "start b", "stop a"]);
  });

  it("does not start anything once aborted", async () => {
    const journal: string[] = [];
    const controller = new AbortController();
    controller.abort();
    const group = new ComponentGroup([new FakeComponent("a", journal)], silentLogger());
    await assert.rejects(group.start(controller.signal));
    assert.deepEqual(journal, []);
  });

  it("reports every stop failure and keeps going past a component that hangs", async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(
      [
        new FakeComponent("a", journal),
        new FakeComponent("b", journal, { failStop: true }),
        new FakeComponent("c", journal, { hangOnStop: true }),
      ],
      silentLogger(),
    );
    await group.start(new AbortController().signal);
    const report = await group.stop(200);
    assert.deepEqual(journal.slice(3), ["stop c", "stop b", "stop a"]);
    assert.deepEqual(report.stopped, ["a"]);
    assert.equal(report.failures.length, 2);
    assert.ok(report.failures[0] instanceof StopTimeoutError);
    assert.match(report.failures[1]?.message ?? "", /b failed to stop: b cannot stop/);
  });
});

describe("event bus", () => {
  interface Events {
    segmentClosed: { cameraId: string; bytes: number };
    uplinkConnected: { broker: string };
  }

  it("delivers typed payloads to every listener until unsubscribed", () => {
    const bus = new EventBus<Events>(() => assert.fail("no listener error expected"));
    const seen: number[] = [];
    const off = bus.on("segmentClosed", (event) => seen.push(event.bytes));
    bus.on("segmentClosed", (event) => seen.push(event.bytes * 10));
    bus.emit("segmentClosed", { cameraId: "c", bytes: 1 });
    off();
    bus.emit("segmentClosed", { cameraId: "c", bytes: 2 });
    bus.emit("uplinkConnected", { broker: "mqtts://x" });
    assert.deepEqual(seen, [1, 10, 20]);
    assert.equal(bus.listenerCount("segmentClosed"), 1);
  });

  it("hands a throwing listener's error to the error callback and still calls the others", () => {
    const errors: string[] = [];
    const bus = new EventBus<Events>((event, error) =>
      errors.push(`${String(event)}: ${(error as Error).message}`),
    );
    let reached = false;
    bus.on("uplinkConnected", () => {
      throw new Error("listener broke");
    });
    bus.on("uplinkConnected", () => {
      reached = true;
    });
    bus.emit("uplinkConnected", { broker: "x" });
    assert.ok(reached);
    assert.deepEqual(errors, ["uplinkConnected: listener broke"]);
  });
});

describe("eachLimited", () => {
  it("runs every item once, in order of start, never more than the limit at a time", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await eachLimited([0, 1, 2, 3, 4, 5, 6], 3, async (item, index) => {
      assert.equal(item, index);
      started.push(item);
      most = Math.max(most, ++running);
      // Uneven lengths: a slot freed early takes the next item.
      await new Promise((resolve) => setTimeout(resolve, (item % 3) * 5));
      running--;
    });
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(most, 3);
  });
});
