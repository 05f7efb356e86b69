import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { payloadFormats, type StreamBreak, StreamGuard } from "../../src/rtsp-relay/index.js";

const SDP = [
  "v=0",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "m=audio 0 RTP/AVP 0",
  "m=video 0 RTP/AVP 97",
  "a=rtpmap:97 H265/90000",
  "",
].join("\r\n");
const FPS = 15;
const TICKS = 90_000 / FPS;

/** RTSP interleaved frame holding one RTP packet (RFC 3550 header, no CSRC). */
function rtp(channel: number, type: number, timestamp: number, payload: Buffer, marker = false) {
  const packet = Buffer.alloc(12 + payload.length);
  packet[0] = 0x80;
  packet[1] = (marker ? 0x80 : 0) | type;
  packet.writeUInt32BE(timestamp >>> 0, 4);
  payload.copy(packet, 12);
  return frame(channel, packet);
}

function frame(channel: number, packet: Buffer): Buffer {
  const head = Buffer.from([0x24, channel, 0, 0]);
  head.writeUInt16BE(packet.length, 2);
  return Buffer.concat([head, packet]);
}

function senderReport(channel: number): Buffer {
  const packet = Buffer.alloc(28);
  packet[0] = 0x80;
  packet[1] = 200;
  packet.writeUInt32BE(0xdeadbeef, 16);
  return frame(channel, packet);
}

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf]);
const WIDER_SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x01, 0x40, 0x16]);

/** One H.264 access unit as x264 and rtph264pay send it: AUD, SPS+PPS on keyframes, slice. */
function accessUnit(timestamp: number, key: boolean, sps: Buffer = SPS): Buffer[] {
  const aud = rtp(0, 96, timestamp, Buffer.from([0x09, 0xf0]));
  if (!key) return [aud, rtp(0, 96, timestamp, Buffer.alloc(300, 0x41), true)];
  const fu = (header: number) => Buffer.concat([Buffer.from([0x7c, header]), Buffer.alloc(900, 7)]);
  return [
    aud,
    rtp(0, 96, timestamp, sps),
    rtp(0, 96, timestamp, Buffer.from([0x68, 0xce, 0x3c, 0x80])),
    rtp(0, 96, timestamp, fu(0x85)),
    rtp(0, 96, timestamp, fu(0x05)),
    rtp(0, 96, timestamp, fu(0x45), true),
  ];
}

interface Unit {
  /** Where in the stream the unit starts. */
  start: number;
  /** Box time at which it arrives. */
  wallMs: number;
}

/**
 * A stream of `count` access units (a keyframe each second) with audio, RTCP and a keepalive
 * reply between them; `shape` may change a unit's timestamp, SPS or arrival time.
 */
function stream(
  count: number,
  shape: (index: number) => { shiftTicks?: number; sps?: Buffer; wallMs?: number } = () => ({}),
) {
  const items: Buffer[] = [];
  const units: Unit[] = [];
  let length = 0;
  let shift = 0;
  for (let index = 0; index < count; index++) {
    const change = shape(index);
    shift += change.shiftTicks ?? 0;
    units.push({ start: length, wallMs: change.wallMs ?? (index * 1000) / FPS });
    const timestamp = 1_000_000 + index * TICKS + shift;
    const parts = accessUnit(timestamp, index % FPS === 0, change.sps);
    if (index % 5 === 2) parts.push(rtp(2, 0, index * 533 * 7919, Buffer.alloc(160, 0xff)));
    if (index % 10 === 3) parts.push(senderReport(1));
    if (index === 7)
      parts.push(Buffer.from("RTSP/1.0 200 OK\r\nCSeq: 4\r\nContent-Length: 5\r\n\r\nhello"));
    for (const part of parts) {
      items.push(part);
      length += part.length;
    }
  }
  return { bytes: Buffer.concat(items), units };
}

/** Feeds the stream in slices of `size`, the box clock at each slice's first unit. */
function feed(bytes: Buffer, units: readonly Unit[], size: number) {
  let wallMs = 0;
  const breaks: StreamBreak[] = [];
  const guard = new StreamGuard({ onBreak: (why) => breaks.push(why), now: () => wallMs });
  guard.described(SDP);
  const verdicts: { end: number; upTo: number; cut: boolean }[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    wallMs = [...units].reverse().find((unit) => unit.start <= at)?.wallMs ?? 0;
    const verdict = guard.scan(bytes.subarray(at, at + size));
    verdicts.push({ end: Math.min(at + size, bytes.length), ...verdict });
    if (verdict.cut) break;
  }
  return { verdicts, breaks, last: verdicts.at(-1) };
}

const SPLITS = [1, 3, 17, 188, 1400, 4096, 65_536];

describe("stream guard", () => {
  it("reads the SDP's payload types, static ones included", () => {
    const formats = payloadFormats(SDP);
    assert.deepEqual(formats.get(96), { media: "video", encoding: "H264", clockRate: 90_000 });
    assert.deepEqual(formats.get(0), { media: "audio", encoding: "PCMU", clockRate: 8000 });
    assert.equal(formats.get(97)?.encoding, "H265");
  });

  it("passes a steady stream whole, however it is split, holding back only an unfinished picture", () => {
    const { bytes, units } = stream(60);
    const starts = new Set([...units.map((unit) => unit.start), bytes.length]);
    for (const size of SPLITS) {
      const { verdicts, breaks, last } = feed(bytes, units, size);
      assert.deepEqual(breaks, [], `split ${size}`);
      assert.deepEqual(last, { end: bytes.length, upTo: bytes.length, cut: false });
      for (const verdict of verdicts) {
        assert.ok(verdict.upTo <= verdict.end, `split ${size}: nothing passes before it came`);
        // What passes ends where a picture starts, or between whole packets after one.
        const unit = [...units].reverse().find((u) => u.start <= verdict.end);
        assert.ok(
          starts.has(verdict.upTo) || (unit !== undefined && verdict.upTo >= unit.start),
          `split ${size}: passes ${verdict.upTo}`,
        );
      }
    }
  });

  for (const [name, seconds] of [
    ["ahead an hour", 3600],
    ["back ten minutes", -600],
  ] as const) {
    it(`cuts before the picture whose timestamp jumps ${name}`, () => {
      const { bytes, units } = stream(40, (index) => ({
        shiftTicks: index === 23 ? seconds * 90_000 : 0,
      }));
      for (const size of SPLITS) {
        const { breaks, last } = feed(bytes, units, size);
        assert.equal(breaks.length, 1, `split ${size}`);
        const [why] = breaks;
        assert.equal(why?.kind, "timestamp_jump");
        assert.ok(why?.kind === "timestamp_jump" && Math.abs(why.jumpSeconds - seconds) < 1);
        assert.deepEqual(last?.cut, true);
        assert.equal(last?.upTo, units[23]?.start, `split ${size}: cut where the picture starts`);
      }
    });
  }

  it("cuts before the access unit that brings a new SPS, its delimiter included", () => {
    const { bytes, units } = stream(50, (index) => ({ sps: index >= 30 ? WIDER_SPS : SPS }));
    for (const size of SPLITS) {
      const { breaks, last } = feed(bytes, units, size);
      assert.deepEqual(breaks, [{ kind: "parameters_changed", encoding: "H264" }]);
      assert.equal(last?.upTo, units[30]?.start, `split ${size}`);
    }
  });

  it("lets a new SPS through when told not to watch parameters", () => {
    const { bytes } = stream(50, (index) => ({ sps: index >= 30 ? WIDER_SPS : SPS }));
    const breaks: StreamBreak[] = [];
    const guard = new StreamGuard({
      onBreak: (why) => breaks.push(why),
      now: () => 0,
      watchParameters: false,
    });
    guard.described(SDP);
    assert.deepEqual(guard.scan(bytes), { upTo: bytes.length, cut: false });
    assert.deepEqual(breaks, []);
  });

  it("takes a stall, and a burst of pictures a camera queued during it, for no jump", () => {
    // 20 s without a packet, then 8 s of queued pictures in one burst, then live again.
    const { bytes, units } = stream(200, (index) => ({
      wallMs:
        index < 40
          ? (index * 1000) / FPS
          : index < 160
            ? 24_000
            : 24_000 + ((index - 159) * 1000) / FPS,
      shiftTicks: index === 40 ? 12 * 90_000 : 0,
    }));
    const { breaks, last } = feed(bytes, units, 1400);
    assert.deepEqual(breaks, []);
    assert.equal(last?.upTo, bytes.length);
  });

  it("lets everything through, unread, once the stream is not RTSP interleaved", () => {
    const { bytes, units } = stream(10);
    const garbled = Buffer.concat([bytes, Buffer.from("GARBAGE\r\n\r\n"), bytes]);
    const { last, breaks } = feed(garbled, units, 1000);
    assert.deepEqual(breaks, []);
    assert.equal(last?.upTo, garbled.length);
  });

  it("finds an H.265 SPS inside an aggregation packet", () => {
    const guard = (sps: Buffer[]) => {
      const breaks: StreamBreak[] = [];
      const watching = new StreamGuard({ onBreak: (why) => breaks.push(why), now: () => 0 });
      watching.described(SDP);
      for (const [index, set] of sps.entries()) {
        const units = [Buffer.from([0x40, 0x01, 0x0c]), set, Buffer.from([0x44, 0x01, 0xc0])];
        const aggregate = Buffer.concat([
          Buffer.from([0x60, 0x01]), // type 48: aggregation packet
          ...units.flatMap((unit) => [Buffer.from([0, unit.length]), unit]),
        ]);
        watching.scan(rtp(2, 97, index * TICKS, aggregate, true));
      }
      return breaks;
    };
    const sps = Buffer.from([0x42, 0x01, 0x01, 0x01, 0x60]);
    assert.deepEqual(guard([sps, sps, sps]), []);
    assert.deepEqual(guard([sps, Buffer.from([0x42, 0x01, 0x01, 0x02, 0x60])]), [
      { kind: "parameters_changed", encoding: "H265" },
    ]);
  });
});
