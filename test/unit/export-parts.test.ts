import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  concatScript,
  MAX_KEPT_GAP_MS,
  partPath,
  planParts,
} from "../../src/recorder/export-parts.js";
import type { SegmentRecord } from "../../src/store/index.js";

const T0 = Date.parse("2026-11-23T02:00:00Z");

function segment(
  id: number,
  startSec: number,
  endSec: number,
  size: [number, number] | null = [320, 240],
): SegmentRecord {
  return {
    id,
    cameraId: "cam",
    path: `/rec/cam/${id}'s.ts`,
    startMs: T0 + startSec * 1000,
    endMs: T0 + endSec * 1000,
    bytes: 1,
    sha256: "x",
    state: "closed",
    lockedUntilMs: null,
    forwardedMs: null,
    videoCodec: size ? "h264" : null,
    width: size?.[0] ?? null,
    height: size?.[1] ?? null,
    audioCodec: null,
  };
}

describe("export parts", () => {
  it("begin a part where the picture size changes; an unprobed segment joins the one before", () => {
    const parts = planParts([
      segment(1, 0, 4),
      segment(2, 4, 8, null),
      segment(3, 8, 12, [640, 360]),
      segment(4, 12, 16, [640, 360]),
    ]);
    assert.deepEqual(
      parts.map((part) => [part.label, part.segments.map((s) => s.id)]),
      [
        ["h264 320x240", [1, 2]],
        ["h264 640x360", [3, 4]],
      ],
    );
  });

  it("keep a short gap inside the part, listed; a gap over 10 minutes begins a part", () => {
    const longGapSec = MAX_KEPT_GAP_MS / 1000 + 1;
    const parts = planParts([
      segment(1, 0, 4),
      segment(2, 4.5, 8),
      segment(3, 30, 34),
      segment(4, 34 + longGapSec, 38 + longGapSec),
    ]);
    assert.deepEqual(
      parts.map((part) => part.segments.map((s) => s.id)),
      [[1, 2, 3], [4]],
    );
    assert.deepEqual(parts[0]?.gaps, [{ fromMs: T0 + 8000, toMs: T0 + 30_000 }], "0.5 s is no gap");
  });

  it("name parts clip.part1.mp4, clip.part2.mp4 when there are several", () => {
    assert.equal(partPath("/out/clip.mp4", 0, 1), "/out/clip.mp4");
    assert.equal(partPath("/out/clip.mp4", 1, 2), "/out/clip.part2.mp4");
    assert.equal(partPath("/out/clip", 0, 2), "/out/clip.part1.mp4");
  });

  it("declare the segment before a gap as long as its video and the gap, quoting paths", () => {
    const [part] = planParts([segment(1, 0, 4), segment(2, 4, 8), segment(3, 20, 24)]);
    assert.ok(part);
    const script = concatScript(part, (s) => (s.id === 2 ? 3.96 : undefined));
    assert.equal(
      script,
      [
        "ffconcat version 1.0",
        "file '/rec/cam/1'\\''s.ts'",
        "file '/rec/cam/2'\\''s.ts'",
        "duration 15.960000",
        "file '/rec/cam/3'\\''s.ts'",
        "",
      ].join("\n"),
    );
  });
});
