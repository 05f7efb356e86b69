import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseSegmentListLine, SegmentListError } from "../../src/recorder/segment-list.js";
import { expectTyped, fuzz } from "./harness.js";

const number = fc.oneof(
  fc.double({ min: 0, max: 1e9, noNaN: true }).map(String),
  fc.constantFrom("0", "1e3", "-1", "NaN", "Infinity", "0x10", "1.", ".5", "1,5", "1".repeat(20)),
);
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}\.ts$/),
  fc.constantFrom("../x.ts", "/etc/passwd", "a.ts\u0000", "seg.mp4", "", "a b.ts"),
  fc.string({ maxLength: 40 }),
);

describe("fuzzing: ffmpeg's segment-list lines", () => {
  it("parseSegmentListLine returns a safe entry or a SegmentListError", async () => {
    const line = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(name, number, number).map((fields) => fields.join(",")) },
      { weight: 1, arbitrary: fc.string({ maxLength: 700, unit: "binary" }) },
    );
    await fuzz(
      "segment-list",
      line,
      (text) => {
        try {
          const entry = parseSegmentListLine(text);
          assert.match(entry.file, /^[A-Za-z0-9_-]{1,128}\.ts$/);
          assert.ok(Number.isFinite(entry.startSec) && Number.isFinite(entry.endSec));
          assert.ok(entry.startSec >= 0 && entry.endSec >= entry.startSec);
        } catch (error) {
          expectTyped(error, SegmentListError);
        }
      },
      { seed: 0x5e6, numRuns: 5000 },
    );
  });
});
