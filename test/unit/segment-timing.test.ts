import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RunTimeline } from "../../src/recorder/index.js";

const T0 = Date.parse("2026-11-23T02:00:00Z");
const SEGMENT_MS = 10_000;

function timeline(notBeforeMs = Number.NEGATIVE_INFINITY) {
  return new RunTimeline({ segmentMs: SEGMENT_MS, runStartMs: T0, notBeforeMs });
}

describe("segment timing", () => {
  it("anchors the stream's timeline on the box clock: contiguous segments of their true length", () => {
    const run = timeline();
    // The first segment closes 1.5 s after its end on the stream (connecting took that long).
    assert.deepEqual(run.place({ startSec: 0, endSec: 10 }, T0 + 11_500), {
      kind: "placed",
      startMs: T0 + 1500,
      endMs: T0 + 11_500,
      corrected: null,
    });
    // Closes come late by up to a read (the relay paces reads): stream time keeps them contiguous.
    const second = run.place({ startSec: 10, endSec: 20 }, T0 + 22_300);
    assert.deepEqual(
      [second.kind === "placed" && second.startMs, run.notBeforeMs],
      [T0 + 11_500, T0 + 21_500],
    );
  });

  it("takes the box clock again when the stream drifts from it, leaving the gap it shows", () => {
    const run = timeline();
    run.place({ startSec: 0, endSec: 10 }, T0 + 10_000);
    // The stream says 10 s went by, the box clock 15 s (the camera held its video back).
    const late = run.place({ startSec: 10, endSec: 20 }, T0 + 25_000);
    assert.deepEqual(late, {
      kind: "placed",
      startMs: T0 + 15_000,
      endMs: T0 + 25_000,
      corrected: null,
    });
  });

  it("never starts a segment before the one before it ended", () => {
    const run = timeline(T0 + 5000);
    // The previous run's last segment ended at T0 + 5 s; this one's anchor says T0 + 2 s.
    const first = run.place({ startSec: 0, endSec: 10 }, T0 + 12_000);
    assert.equal(first.kind, "placed");
    assert.ok(first.kind === "placed");
    assert.equal(first.startMs, T0 + 5000);
    assert.equal(first.endMs, T0 + 12_000);
    assert.match(String(first.corrected), /starts 3\.0 s later/);
    // A stream running fast: the anchor moves back 3 s, the next segment starts where this ended.
    const next = run.place({ startSec: 10, endSec: 23 }, T0 + 22_000);
    assert.ok(next.kind === "placed");
    assert.equal(next.startMs, T0 + 12_000);
    assert.equal(next.endMs, T0 + 22_000);
  });

  it("after the box clock was stepped back, segments follow the last one whole", () => {
    const run = timeline();
    run.place({ startSec: 0, endSec: 10 }, T0 + 10_000);
    const after = run.place({ startSec: 10, endSec: 20 }, T0 + 20_000 - 3_600_000);
    assert.ok(after.kind === "placed");
    assert.deepEqual([after.startMs, after.endMs], [T0 + 10_000, T0 + 20_000]);
    assert.match(String(after.corrected), /box clock went back/);
  });

  it("calls a segment broken when it claims more time than twice the nominal and than passed", () => {
    const run = timeline();
    run.place({ startSec: 0, endSec: 10 }, T0 + 10_000);
    const jumped = run.place({ startSec: 10, endSec: 3612 }, T0 + 12_000);
    assert.deepEqual(jumped, {
      kind: "broken",
      reason: "3602.0 s of stream time arrived in 2.0 s",
      fromMs: T0 + 10_000,
      toMs: T0 + 12_000,
    });
    // What was filed of it after a repair: fitted after the last segment.
    assert.deepEqual(run.follow(jumped.kind === "broken" ? jumped.fromMs : 0, 1800), {
      startMs: T0 + 10_000,
      endMs: T0 + 11_800,
    });
  });

  it("keeps a long segment the box clock confirms (a camera with a long keyframe interval)", () => {
    const run = timeline();
    const long = run.place({ startSec: 0, endSec: 30 }, T0 + 31_000);
    assert.deepEqual(long, {
      kind: "placed",
      startMs: T0 + 1000,
      endMs: T0 + 31_000,
      corrected: null,
    });
  });
});
