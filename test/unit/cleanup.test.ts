import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cleanups, defer } from "../helpers/temp.js";

describe("test clean-ups", () => {
  it("run last registered first, every step even after a failure, and report the failures", async () => {
    const ran: string[] = [];
    const hooks: (() => unknown)[] = [];
    const context = { after: (fn: () => unknown) => hooks.push(fn) };
    defer(context, () => ran.push("directory removed"));
    defer(context, () => {
      ran.push("broker stopped");
      throw new Error("broker would not stop");
    });
    defer(context, () => ran.push("agent stopped"));
    assert.equal(hooks.length, 1, "one hook on the context, whatever the number of steps");
    await assert.rejects(async () => hooks[0]!(), /broker would not stop/);
    assert.deepEqual(ran, ["agent stopped", "broker stopped", "directory removed"]);
  });

  it("several failures are all reported, and a step runs once", async () => {
    const cleanups = new Cleanups();
    let runs = 0;
    defer(cleanups, () => runs++);
    defer(cleanups, () => Promise.reject(new Error("one")));
    cleanups.after(() => Promise.reject(new Error("two")));
    await assert.rejects(
      cleanups.run(),
      (error: unknown) => error instanceof AggregateError && error.errors.length === 2,
    );
    await cleanups.run();
    assert.equal(runs, 1);
  });
});
