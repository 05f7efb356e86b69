import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { payloadFormats, StreamGuard } from "../../src/rtsp-relay/index.js";
import { fuzz } from "./harness.js";

const SDP = "v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 0 RTP/AVP 0\r\n";

/** An interleaved frame around an RTP-looking packet whose every field the camera chose. */
const frame = fc
  .record({
    channel: fc.integer({ min: 0, max: 255 }),
    first: fc.constantFrom(0x80, 0x90, 0xa0, 0x8f, 0x00, 0xff),
    second: fc.integer({ min: 0, max: 255 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    payload: fc.uint8Array({ maxLength: 120 }),
  })
  .map(({ channel, first, second, timestamp, payload }) => {
    const packet = Buffer.alloc(12 + payload.length);
    packet[0] = first;
    packet[1] = second;
    packet.writeUInt32BE(timestamp, 4);
    Buffer.from(payload).copy(packet, 12);
    const head = Buffer.from([0x24, channel, 0, 0]);
    head.writeUInt16BE(packet.length, 2);
    return Buffer.concat([head, packet]);
  });
const item = fc.oneof(
  { weight: 6, arbitrary: frame },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 40 })
      .map((body) =>
        Buffer.from(`RTSP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)) },
);
const stream = fc.record({
  bytes: fc.array(item, { maxLength: 60 }).map((items) => Buffer.concat(items)),
  cuts: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
  clock: fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 20 }),
});

describe("fuzzing: the RTSP relay's stream guard", () => {
  it("reads any bytes a camera sends after PLAY without throwing, and never lets out more than it read", async () => {
    await fuzz(
      "stream-guard",
      stream,
      ({ bytes, cuts, clock }) => {
        let wallMs = 0;
        const guard = new StreamGuard({ onBreak: () => undefined, now: () => wallMs });
        guard.described(SDP);
        let at = 0;
        let upTo = 0;
        let cut: number | undefined;
        for (let step = 0; at < bytes.length; step++) {
          wallMs += clock[step % clock.length] ?? 0;
          const size = cuts[step % cuts.length] ?? 1;
          const verdict = guard.scan(bytes.subarray(at, at + size));
          at = Math.min(at + size, bytes.length);
          assert.ok(verdict.upTo <= at, "nothing passes before it came");
          assert.ok(verdict.upTo >= upTo, "what passed stays passed");
          if (cut !== undefined) assert.deepEqual(verdict, { upTo: cut, cut: true });
          if (verdict.cut) cut = verdict.upTo;
          upTo = verdict.upTo;
        }
      },
      { seed: 0x5721, numRuns: 2000 },
    );
  });

  it("payloadFormats reads any SDP into a bounded table of positive clock rates", async () => {
    const line = fc.oneof(
      fc.constantFrom("m=video 0 RTP/AVP 96 26 0", "a=rtpmap:96 H264/90000", "a=rtpmap:0 PCMU/0"),
      fc.string({ maxLength: 80 }).map((text) => `a=rtpmap:${text}`),
      fc.string({ maxLength: 80 }),
    );
    await fuzz(
      "sdp-payload-formats",
      fc.array(line, { maxLength: 80 }).map((lines) => lines.join("\r\n")),
      (sdp) => {
        const formats = payloadFormats(sdp);
        assert.ok(formats.size <= 32);
        for (const [type, format] of formats) {
          assert.ok(Number.isInteger(type) && type >= 0 && type <= 999);
          assert.ok(format.clockRate > 0 && Number.isInteger(format.clockRate));
        }
      },
      { seed: 0x5d9, numRuns: 2000 },
    );
  });
});
