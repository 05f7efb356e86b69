import { once } from "node:events";
import { createServer, connect, type Server, type Socket } from "node:net";
import { type CleanupScope, defer } from "./temp.js";

/** Clock rates of the static RTP payload types a camera may leave out of its SDP. */
const STATIC_RATES = new Map([
  [0, 8000],
  [8, 8000],
  [26, 90_000],
]);
const RTCP_SENDER_REPORT = 200;

/**
 * A camera whose clock jumps: a TCP relay in front of an RTSP server that passes everything
 * through, except that from `jump(seconds)` on, the RTP timestamp of every packet it carries
 * from the server (RTSP interleaved over TCP), and of every RTCP sender report, is moved by that
 * many seconds of each stream's clock. As a camera's clock jumps between two pictures, never
 * inside one, a video stream takes a new offset only at the start of a picture (after a packet
 * with the RTP marker bit). Written here, from RFC 2326 §10.12 and RFC 3550, rather
 * than with camgate's own RTSP parser, so that the recorder is tested against another reading.
 */
export class RtpJumpRelay {
  #offsetSec = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly upstream: { host: string; port: number }) {}

  /** Listens on `host`:`port`; returns the base URL (`rtsp://host:port`) to put before a path. */
  async start(t: CleanupScope, host: string, port: number): Promise<string> {
    const server = createServer((client) => this.#accept(client));
    server.listen(port, host);
    await once(server, "listening");
    this.#server = server;
    defer(t, () => this.stop());
    return `rtsp://${host}:${port}`;
  }

  /** Moves every timestamp from now on by `seconds` more (negative: back). */
  jump(seconds: number): void {
    this.#offsetSec += seconds;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  #accept(client: Socket): void {
    const server = connect(this.upstream.port, this.upstream.host);
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.on("close", () => {
        this.#sockets.delete(socket);
        client.destroy();
        server.destroy();
      });
      socket.on("error", () => socket.destroy());
    }
    client.pipe(server);
    const parser: ServerStream = new ServerStream(
      (pt: number): number => this.#offsetSec * clockRate(parser.rates, pt),
    );
    server.on("data", (chunk: Buffer) => {
      const out = parser.push(chunk);
      if (out.length > 0) client.write(out);
    });
  }
}

function clockRate(rates: Map<number, number>, payloadType: number): number {
  return rates.get(payloadType) ?? STATIC_RATES.get(payloadType) ?? 90_000;
}

/** What the server sends, split into RTSP replies (read for their SDP) and interleaved frames. */
class ServerStream {
  /** Clock rate per RTP payload type, from the SDP's a=rtpmap lines. */
  readonly rates = new Map<number, number>();
  /** The payload type last seen on each RTP channel, for the RTCP channel after it. */
  readonly #channelType = new Map<number, number>();
  /** The shift (in ticks) each RTP channel applies now, and whether its last packet ended a picture. */
  readonly #applied = new Map<number, number>();
  readonly #pictureEnded = new Map<number, boolean>();
  #pending = Buffer.alloc(0);

  constructor(private readonly shift: (payloadType: number) => number) {}

  /** Returns the bytes ready to go on: whole replies and frames, timestamps moved. */
  push(chunk: Buffer): Buffer {
    let buffer = Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const length = this.#itemLength(buffer);
      if (length === undefined) break;
      const item = Buffer.from(buffer.subarray(0, length));
      if (item[0] === 0x24) this.#rewrite(item);
      else this.#readSdp(item.toString("latin1"));
      out.push(item);
      buffer = buffer.subarray(length);
    }
    this.#pending = Buffer.from(buffer);
    return Buffer.concat(out);
  }

  #itemLength(buffer: Buffer): number | undefined {
    if (buffer.length < 4) return undefined;
    if (buffer[0] === 0x24) {
      const length = 4 + buffer.readUInt16BE(2);
      return buffer.length >= length ? length : undefined;
    }
    const head = buffer.indexOf("\r\n\r\n");
    if (head === -1) return undefined;
    const match = /^content-length:\s*(\d+)/im.exec(buffer.subarray(0, head).toString("latin1"));
    const length = head + 4 + Number(match?.[1] ?? 0);
    return buffer.length >= length ? length : undefined;
  }

  #readSdp(text: string): void {
    for (const match of text.matchAll(/^a=rtpmap:(\d+) [^/\r\n]+\/(\d+)/gm))
      this.rates.set(Number(match[1]), Number(match[2]));
  }

  #rewrite(frame: Buffer): void {
    const channel = frame[1] ?? 0;
    const packet = frame.subarray(4);
    if (packet.length < 12 || (packet[0] ?? 0) >> 6 !== 2) return;
    const secondByte = packet[1] ?? 0;
    if (channel % 2 === 1) {
      // RTCP: a compound packet starts with a sender report (RFC 3550 §6.1) or a receiver report.
      if (secondByte !== RTCP_SENDER_REPORT || packet.length < 20) return;
      const ticks = this.#applied.get(channel - 1);
      if (ticks === undefined) return;
      packet.writeUInt32BE(moved(packet.readUInt32BE(16), ticks), 16);
      return;
    }
    const payloadType = secondByte & 0x7f;
    this.#channelType.set(channel, payloadType);
    // Audio packets each stand alone; a video picture spans packets until the marker bit.
    const audio = clockRate(this.rates, payloadType) !== 90_000;
    if (audio || (this.#pictureEnded.get(channel) ?? true))
      this.#applied.set(channel, this.shift(payloadType));
    this.#pictureEnded.set(channel, (secondByte & 0x80) !== 0);
    packet.writeUInt32BE(moved(packet.readUInt32BE(4), this.#applied.get(channel) ?? 0), 4);
  }
}

function moved(timestamp: number, ticks: number): number {
  return (((timestamp + Math.round(ticks)) % 2 ** 32) + 2 ** 32) % 2 ** 32;
}
