import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventRate } from "../../src/camera-events/event-rate.js";

describe("EventRate", () => {
  it("admits up to the limit in a minute, counts the rest, and reports them when the next minute starts", () => {
    const rate = new EventRate(3);
    const reports: [number, number][] = [];
    const report = (count: number, windowMs: number) => reports.push([count, windowMs]);
    const admitted = [0, 1, 2, 3, 4, 5].map((n) => rate.admit(1000 + n, report));
    assert.deepEqual(admitted, [true, true, true, false, false, false]);
    assert.equal(rate.waitMs(2000), 59_000, "a full minute makes the camera wait for its end");
    assert.deepEqual(reports, []);
    assert.equal(rate.admit(61_000, report), true);
    assert.deepEqual(reports, [[3, 60_000]]);
    assert.equal(rate.waitMs(61_000), 0);
  });

  it("a camera within its rate never waits and nothing is reported", () => {
    const rate = new EventRate(3);
    const reports: number[] = [];
    for (let minute = 0; minute < 5; minute++) {
      for (let n = 0; n < 2; n++)
        assert.equal(
          rate.admit(minute * 60_000 + n, (count) => reports.push(count)),
          true,
        );
      assert.equal(rate.waitMs(minute * 60_000 + 10), 0);
    }
    assert.deepEqual(reports, []);
  });
});
