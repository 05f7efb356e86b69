import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { muLaw, pcmuTone } from "../../src/sim/g711.js";
import { packetizeH265Nal } from "../../src/sim/h265.js";
import { MEDIA_NAMES } from "../../src/sim/index.js";
import { simulatedMedia } from "../../src/sim/profiles.js";

describe("simulated camera media", () => {
  it("encodes G.711 µ-law as the standard's table does", () => {
    // ITU-T G.711: silence is 0xFF, full scale 0x80 (positive) and 0x00 (negative).
    assert.deepEqual([0, 32767, -32768, 1000, -1000].map(muLaw), [0xff, 0x80, 0x00, 0xce, 0x4e]);
    const tone = pcmuTone();
    assert.equal(tone.length, 8000, "one second at 8 kHz");
    assert.ok(new Set(tone).size > 50, "a tone, not silence");
  });

  it("splits a large H.265 NAL unit into fragmentation units that join back into it", () => {
    // An IDR slice (type 19), layer 0, temporal id 1: header 0x26 0x01.
    const nal = Buffer.concat([Buffer.from([0x26, 0x01]), Buffer.alloc(4000, 7)]);
    const units = packetizeH265Nal(nal, 1400);
    assert.ok(units.length > 1);
    for (const [index, unit] of units.entries()) {
      assert.equal((unit[0] ?? 0) >> 1, 49, "type FU");
      assert.equal(unit[1], 0x01);
      assert.equal((unit[2] ?? 0) & 0x3f, 19, "the NAL's own type");
      assert.equal(((unit[2] ?? 0) & 0x80) !== 0, index === 0, "start bit on the first only");
      assert.equal(
        ((unit[2] ?? 0) & 0x40) !== 0,
        index === units.length - 1,
        "end bit on the last",
      );
      assert.ok(unit.length <= 1400);
    }
    const joined = Buffer.concat([nal.subarray(0, 2), ...units.map((unit) => unit.subarray(3))]);
    assert.deepEqual(joined, nal);
    assert.deepEqual(packetizeH265Nal(Buffer.from([0x40, 0x01, 1, 2])), [
      Buffer.from([0x40, 0x01, 1, 2]),
    ]);
  });

  it("gives mixed cameras H.265, H.264 with audio and H.264 in turn", () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((index) => simulatedMedia("mixed", index)),
      ["h265", "h264+pcmu", "h264", "h265"],
    );
    assert.deepEqual(MEDIA_NAMES, ["h264", "h265", "h264+pcmu", "mixed"]);
    assert.equal(simulatedMedia("h265", 1), "h265");
  });
});
