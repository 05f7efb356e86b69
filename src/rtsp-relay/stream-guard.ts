import { RTSP_LIMITS } from "./rtsp-message.js";
import { type PayloadFormat, payloadFormats } from "./sdp.js";

/** Why a guarded stream was cut: what comes next cannot continue the recording as it is. */
export type StreamBreak =
  | {
      kind: "timestamp_jump";
      /** Seconds the stream's clock moved beyond the box clock (negative: back). */
      jumpSeconds: number;
      encoding: string;
    }
  | { kind: "parameters_changed"; encoding: string };

export interface StreamGuardOptions {
  /** The stream was cut before the packet that breaks it; the relay then ends the session. */
  onBreak: (why: StreamBreak) => void;
  /** What the camera's SDP offers (to tell what is not recorded, e.g. audio). */
  onDescribed?: (formats: PayloadFormat[]) => void;
  /** Cut where the SPS changes (default); off for a camera whose SPS changes for nothing. */
  watchParameters?: boolean;
  now?: () => number;
}

/** A video clock further ahead of the box clock than this has jumped (mediamtx allows 5 s). */
export const FORWARD_JUMP_MS = 5000;
/** A video clock further back than this has jumped: B-frames step back by a few frames only. */
export const BACKWARD_JUMP_MS = 1000;
/**
 * How far behind the box clock a stream is remembered to be (paced reads hand the relay a
 * second of video at a time): a step ahead may be this much larger than FORWARD_JUMP_MS. Steps
 * ahead within the bound are absorbed one by one, so a camera clock a little fast never adds up.
 */
const MAX_LAG_MS = 2000;
/** RTCP packet types (RFC 3550, RFC 4585): the byte after the first in an RTCP packet. */
const RTCP_FIRST = 200;
const RTCP_LAST = 206;

/** A video stream's clock against the box clock (RFC 3550 timestamps: 32 bits, they wrap). */
class MediaClock {
  #last: number | undefined;
  #lastWallMs = 0;
  /** How far the stream is behind the box clock, kept within [0, MAX_LAG_MS]. */
  #lagMs = 0;

  constructor(private readonly clockRate: number) {}

  /** The step in ms this timestamp makes if it is a jump, else 0. */
  check(timestamp: number, wallMs: number): number {
    if (this.#last === undefined) {
      this.#last = timestamp;
      this.#lastWallMs = wallMs;
      return 0;
    }
    const ticks = (timestamp - this.#last) | 0; // signed 32-bit difference: a wrap is no jump
    const stepMs = (ticks * 1000) / this.clockRate;
    if (stepMs < -BACKWARD_JUMP_MS) return stepMs;
    const lagMs = this.#lagMs + (wallMs - this.#lastWallMs) - stepMs;
    if (lagMs < -FORWARD_JUMP_MS) return stepMs;
    this.#lagMs = Math.min(Math.max(lagMs, 0), MAX_LAG_MS);
    this.#last = timestamp;
    this.#lastWallMs = wallMs;
    return 0;
  }
}

/** Whether an RTP packet's first NAL unit is an SPS or an aggregate (that may hold one). */
function mayHoldParameters(encoding: string, bytes: Buffer, packet: number, end: number): boolean {
  const first = bytes[packet] ?? 0;
  let at = packet + 12 + (first & 0x0f) * 4;
  if (first & 0x10 && at + 4 <= end) at += 4 + bytes.readUInt16BE(at + 2) * 4;
  if (at >= end) return false;
  const nal = bytes[at] ?? 0;
  if (encoding === "H264") return (nal & 0x1f) === 7 || (nal & 0x1f) === 24;
  if (encoding === "H265") return ((nal >> 1) & 0x3f) === 33 || ((nal >> 1) & 0x3f) === 48;
  return false;
}

/** The sequence parameter set an RTP packet carries, if any (RFC 6184, RFC 7798). */
function parameterSet(encoding: string, payload: Buffer): Buffer | undefined {
  const units = (first: number) => {
    const found: Buffer[] = [];
    for (let at = first; at + 2 <= payload.length;) {
      const size = payload.readUInt16BE(at);
      found.push(payload.subarray(at + 2, at + 2 + size));
      at += 2 + size;
    }
    return found;
  };
  if (encoding === "H264") {
    const type = (payload[0] ?? 0) & 0x1f;
    if (type === 7) return payload;
    if (type === 24) return units(1).find((unit) => ((unit[0] ?? 0) & 0x1f) === 7);
  } else if (encoding === "H265") {
    const type = ((payload[0] ?? 0) >> 1) & 0x3f;
    if (type === 33) return payload;
    if (type === 48) return units(2).find((unit) => (((unit[0] ?? 0) >> 1) & 0x3f) === 33);
  }
  return undefined;
}

/** What may go to ffmpeg: the stream up to `upTo` (a position in the stream, from PLAY on). */
export interface GuardVerdict {
  upTo: number;
  /** The stream broke at `upTo`: nothing after it may go, the session ends there. */
  cut: boolean;
}

/**
 * Watches what a camera sends after PLAY (RTSP interleaved: `$`, channel, length, packet; or an
 * RTSP reply) and says how much of it may go on. The video stream is cut before the access
 * unit whose timestamp jumped (a camera clock set back or forward) or that carries a different
 * sequence parameter set (a resolution or codec change in the session), so that ffmpeg ends on
 * the last whole picture and a new run starts clean. To cut there, a video access unit still
 * arriving, or a packet split between reads, is held back until it is whole (its marker bit,
 * or the next timestamp): at most a picture's worth of bytes.
 */
export class StreamGuard {
  #formats = new Map<number, PayloadFormat>();
  readonly #clocks = new Map<number, MediaClock>();
  #parameters: Buffer | undefined;
  /** Stream position of the next byte to read. */
  #position = 0;
  /** Where the item being read starts, while it is incomplete. */
  #itemStart: number | undefined;
  /** Its first bytes, while its length is not known (a split header). */
  #pending = Buffer.alloc(0);
  /** Bytes of the item still to come, and the frame so far when it is to be inspected. */
  #remaining = 0;
  #carry: Buffer[] | undefined;
  /** The video access unit being received: where it starts, its timestamp, is it still open. */
  #unit: { start: number; timestamp: number; open: boolean } | undefined;
  #cutAt: number | undefined;
  #blind = false;

  constructor(private readonly options: StreamGuardOptions) {}

  /** The camera's SDP, from its DESCRIBE reply. */
  described(sdp: string): void {
    this.#formats = payloadFormats(sdp);
    this.options.onDescribed?.([...this.#formats.values()]);
  }

  /** Gave up reading the stream (not RTSP interleaved as expected): everything passes. */
  get blind(): boolean {
    return this.#blind;
  }

  /** Reads the next bytes of the stream; says how far the stream may go to ffmpeg. */
  scan(chunk: Buffer): GuardVerdict {
    if (this.#cutAt !== undefined) return { upTo: this.#cutAt, cut: true };
    const wallMs = (this.options.now ?? Date.now)();
    const base = this.#position;
    this.#position += chunk.length;
    let at = 0;
    while (at < chunk.length && !this.#blind && this.#cutAt === undefined)
      at =
        this.#remaining > 0
          ? this.#continue(chunk, at, wallMs)
          : this.#item(chunk, base, at, wallMs);
    if (this.#cutAt !== undefined) return { upTo: this.#cutAt, cut: true };
    if (this.#blind) return { upTo: this.#position, cut: false };
    const unit = this.#unit?.open ? this.#unit.start : this.#position;
    return { upTo: Math.min(unit, this.#itemStart ?? this.#position), cut: false };
  }

  #continue(chunk: Buffer, at: number, wallMs: number): number {
    const take = Math.min(this.#remaining, chunk.length - at);
    this.#remaining -= take;
    this.#carry?.push(Buffer.from(chunk.subarray(at, at + take)));
    if (this.#remaining === 0) {
      const start = this.#itemStart ?? 0;
      this.#itemStart = undefined;
      if (this.#carry) {
        const frame = Buffer.concat(this.#carry);
        this.#inspect(frame, 0, frame.length, start, wallMs);
      }
      this.#carry = undefined;
    }
    return at + take;
  }

  /** The item starting at `at` (after any bytes of it held from the last chunk). */
  #item(chunk: Buffer, base: number, at: number, wallMs: number): number {
    // The common case, read in place: a whole frame in this read.
    if (this.#pending.length === 0 && chunk[at] === 0x24 && at + 4 <= chunk.length) {
      const end = at + 4 + chunk.readUInt16BE(at + 2);
      if (end <= chunk.length) {
        this.#inspect(chunk, at, end, base + at, wallMs);
        return end;
      }
    }
    const held = this.#pending.length;
    const data = held > 0 ? Buffer.concat([this.#pending, chunk.subarray(at)]) : chunk.subarray(at);
    const start = base + at - held;
    this.#pending = Buffer.alloc(0);
    this.#itemStart = start;
    let length: number;
    if (data[0] === 0x24) {
      if (data.length < 4) return this.#hold(data, chunk);
      length = 4 + data.readUInt16BE(2);
      if (data.length >= length) {
        this.#itemStart = undefined;
        this.#inspect(data, 0, length, start, wallMs);
        return at + length - held;
      }
      this.#carry = [Buffer.from(data)];
    } else {
      const headEnd = data.indexOf("\r\n\r\n");
      if (headEnd === -1) return this.#hold(data, chunk);
      const head = data.subarray(0, headEnd).toString("latin1");
      // After PLAY only replies to ffmpeg's keepalives come between packets.
      if (!/^RTSP\/1\.0 \d{3} /.test(head)) return this.#giveUp(chunk);
      const body = /^content-length:[ \t]*(\d{1,6})[ \t]*$/im.exec(head)?.[1] ?? "0";
      length = headEnd + 4 + Number(body);
      if (data.length >= length) {
        this.#itemStart = undefined;
        return at + length - held;
      }
    }
    this.#remaining = length - data.length;
    return chunk.length;
  }

  /** Too little of an item to know its length: kept for the next chunk, within bounds. */
  #hold(data: Buffer, chunk: Buffer): number {
    if (data.length > RTSP_LIMITS.headBytes) return this.#giveUp(chunk);
    this.#pending = Buffer.from(data);
    return chunk.length;
  }

  #giveUp(chunk: Buffer): number {
    this.#blind = true;
    return chunk.length;
  }

  /**
   * One interleaved frame, `bytes[at, end)`, at stream position `start`: `$`, channel, length,
   * then an RTP or RTCP packet. Read in place: only a packet that may hold an SPS is sliced.
   */
  #inspect(bytes: Buffer, at: number, end: number, start: number, wallMs: number): void {
    const channel = bytes[at + 1] ?? 0;
    const packet = at + 4;
    if (end - packet < 12 || (bytes[packet] ?? 0) >> 6 !== 2) return;
    const second = bytes[packet + 1] ?? 0;
    if (second >= RTCP_FIRST && second <= RTCP_LAST) return;
    const format = this.#formats.get(second & 0x7f);
    if (format?.media !== "video") return;
    const timestamp = bytes.readUInt32BE(packet + 4);
    if (!this.#unit?.open || this.#unit.timestamp !== timestamp)
      this.#unit = { start, timestamp, open: true };
    const unit = this.#unit;
    if ((second & 0x80) !== 0) unit.open = false; // the marker bit: the access unit is whole
    let clock = this.#clocks.get(channel);
    if (!clock) this.#clocks.set(channel, (clock = new MediaClock(format.clockRate)));
    const jumpMs = clock.check(timestamp, wallMs);
    if (jumpMs !== 0) {
      const jumpSeconds = Math.round(jumpMs / 100) / 10;
      return this.#break(unit.start, {
        kind: "timestamp_jump",
        jumpSeconds,
        encoding: format.encoding,
      });
    }
    if (this.options.watchParameters === false) return;
    if (!mayHoldParameters(format.encoding, bytes, packet, end)) return;
    const parameters = parameterSet(format.encoding, rtpPayload(bytes.subarray(packet, end)));
    if (!parameters) return;
    if (this.#parameters && !this.#parameters.equals(parameters))
      return this.#break(unit.start, { kind: "parameters_changed", encoding: format.encoding });
    this.#parameters ??= Buffer.from(parameters);
  }

  #break(at: number, why: StreamBreak): void {
    this.#cutAt = at;
    this.options.onBreak(why);
  }
}

/** The payload of an RTP packet: after the header, CSRCs and extension; padding removed. */
function rtpPayload(packet: Buffer): Buffer {
  const first = packet[0] ?? 0;
  let at = 12 + (first & 0x0f) * 4;
  if (first & 0x10 && at + 4 <= packet.length) at += 4 + packet.readUInt16BE(at + 2) * 4;
  let end = packet.length;
  if (first & 0x20) end -= packet[packet.length - 1] ?? 0;
  return at < end ? packet.subarray(at, end) : Buffer.alloc(0);
}
