import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hvc1Tagger } from "../../src/live/hvc1-tag.js";

function box(type: string, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, body]);
}

/** ftyp and a moov whose one track's sample entry is `entry`, then a fragment. */
function fmp4(entry: string): { init: Buffer; fragment: Buffer } {
  const stsd = box("stsd", Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), box(entry, Buffer.alloc(78)));
  const trak = box(
    "trak",
    box("tkhd", Buffer.alloc(84)),
    box("mdia", box("minf", box("stbl", stsd))),
  );
  const init = Buffer.concat([
    box("ftyp", Buffer.from("isom")),
    box("moov", box("mvhd", Buffer.alloc(100)), trak),
  ]);
  // A fragment whose bytes happen to spell hev1: only the sample entry is renamed.
  const fragment = Buffer.concat([
    box("moof", Buffer.from("hev1")),
    box("mdat", Buffer.from("hev1hev1")),
  ]);
  return { init, fragment };
}

function through(tagger: Hvc1Tagger, bytes: Buffer, piece: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece)
    out.push(...tagger.push(bytes.subarray(at, at + piece)));
  out.push(...tagger.flush());
  return Buffer.concat(out);
}

describe("Hvc1Tagger", () => {
  it("renames the hev1 sample entry to hvc1 however the output is cut, and nothing else", () => {
    const { init, fragment } = fmp4("hev1");
    for (const piece of [1, 7, 100, 10_000]) {
      const out = through(new Hvc1Tagger(), Buffer.concat([init, fragment]), piece);
      assert.equal(out.length, init.length + fragment.length);
      assert.equal(out.indexOf("hvc1"), init.indexOf("hev1"), `pieces of ${piece}`);
      assert.ok(out.subarray(init.length).equals(fragment), "fragments pass untouched");
    }
  });

  it("leaves H.264 and output that is not MP4 as they are", () => {
    const { init, fragment } = fmp4("avc1");
    const h264 = Buffer.concat([init, fragment]);
    assert.ok(through(new Hvc1Tagger(), h264, 13).equals(h264));
    const other = Buffer.alloc(50_000, 7);
    assert.ok(through(new Hvc1Tagger(), other, 16_384).equals(other));
  });
});
