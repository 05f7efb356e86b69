import { randomBytes, randomInt } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { closeServer, listen, trackConnections } from "../util/net.js";
import type { DigestAuthority } from "./digest-auth.js";
import type { FrameTicker } from "./frame-ticker.js";
import type { RequestJournal } from "./journal.js";
import type { LoginLockout } from "./lockout.js";
import type { VideoAsset } from "./video-asset.js";

const MAX_HEADER_BYTES = 8192;
const MAX_QUEUED_BYTES = 1024 * 1024;
const RTP_CLOCK = 90_000;
const PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

export interface RtspServerOptions {
  host: string;
  port: number;
  paths: readonly string[];
  asset: VideoAsset;
  ticker: FrameTicker;
  /** null: the camera serves its streams to anyone. */
  auth: DigestAuthority | null;
  lockout: LoginLockout;
  journal: RequestJournal;
  isStalled: () => boolean;
  /** A microphone: G.711 µ-law at 8 kHz, one second of it played over and over (track2). */
  pcmu?: Buffer | undefined;
  /**
   * Serve RTSPS (RTSP over TLS) with this certificate instead of plain RTSP; `ciphers` for a
   * factory certificate (RSA-1024, SHA-1) that OpenSSL 3.5 (Node.js 24) loads only at level 0.
   */
  tls?: { certPem: string; keyPem: string; ciphers?: string };
}

interface RtspRequest {
  method: string;
  url: string;
  headers: Map<string, string>;
}

interface PlaySession {
  id: string;
  channel: number;
  ssrc: number;
  seq: number;
  rtpBase: number;
  /** First frame sent; RTP time counts from it, so it stays continuous across dropped frames. */
  startFrame: number;
  playing: boolean;
  awaitingKeyframe: boolean;
  /** The audio track, once set up: its channel and RTP state. */
  audio?: { channel: number; ssrc: number; seq: number; rtpBase: number } | undefined;
}

const AUDIO_CLOCK = 8000;
const PCMU_TYPE = 0;

function pathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    return "";
  }
}

/** A minimal RTSP/1.0 server: H.264 over RTP interleaved on the RTSP connection (TCP). */
export class RtspServer {
  #server: Server | undefined;
  #sockets: Set<Socket> = new Set();

  constructor(private readonly options: RtspServerOptions) {}

  async start(): Promise<void> {
    const { tls } = this.options;
    const server = tls
      ? createTlsServer(
          { cert: tls.certPem, key: tls.keyPem, ...(tls.ciphers ? { ciphers: tls.ciphers } : {}) },
          (socket) => this.#accept(socket),
        )
      : createServer((socket) => this.#accept(socket));
    server.on("tlsClientError", () => undefined);
    this.#sockets = trackConnections(server);
    await listen(server, this.options.port, this.options.host);
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await closeServer(server, this.#sockets);
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    const sessions = new Map<string, PlaySession>();
    const unsubscribe = this.options.ticker.subscribe((frame) => {
      if (!this.options.isStalled()) this.#sendFrame(socket, sessions, frame);
    });
    let buffer: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      buffer = this.#consume(socket, sessions, buffer);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", unsubscribe);
  }

  /** Handles every complete request or interleaved packet in `buffer`; returns the rest. */
  #consume(socket: Socket, sessions: Map<string, PlaySession>, input: Buffer): Buffer {
    let buffer: Buffer = input;
    while (buffer.length > 0 && !socket.destroyed) {
      if (buffer[0] === 0x24) {
        if (buffer.length < 4) break;
        const length = buffer.readUInt16BE(2);
        if (buffer.length < 4 + length) break;
        buffer = buffer.subarray(4 + length); // RTCP from the client: read and ignored
        continue;
      }
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) {
        if (buffer.length > MAX_HEADER_BYTES) socket.destroy();
        break;
      }
      const head = buffer.subarray(0, end).toString("latin1").split("\r\n");
      const [method = "", url = "", version = ""] = (head[0] ?? "").split(" ");
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0)
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const bodyLength = Number(headers.get("content-length") ?? 0);
      if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_HEADER_BYTES) {
        socket.destroy();
        break;
      }
      if (buffer.length < end + 4 + bodyLength) break;
      buffer = buffer.subarray(end + 4 + bodyLength);
      if (!version.startsWith("RTSP/1.")) {
        socket.destroy();
        break;
      }
      this.#handle(socket, sessions, { method, url, headers });
    }
    return Buffer.from(buffer);
  }

  #handle(socket: Socket, sessions: Map<string, PlaySession>, request: RtspRequest): void {
    const cseq = request.headers.get("cseq") ?? "0";
    const reply = (status: string, headers: Record<string, string> = {}, body = "") => {
      const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, "Server: camgate-sim RTSP"];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      if (body !== "") lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
      const code = status.split(" ")[0] ?? "";
      this.options.journal.record({
        protocol: this.options.tls ? "rtsps" : "rtsp",
        operation: request.method,
        user,
        authenticated,
        outcome: code,
        remote: socket.remoteAddress ?? "",
      });
    };
    let user: string | null = null;
    let authenticated = false;

    if (request.method === "OPTIONS") return reply("200 OK", { Public: PUBLIC });
    const path = pathOf(request.url);
    const streamPath = this.options.paths.find(
      (candidate) => path === candidate || path.startsWith(`${candidate}/`),
    );
    if (!streamPath) return reply("404 Not Found");

    if (this.options.auth) {
      const header = request.headers.get("authorization");
      const verdict = this.options.auth.verifyDigest(header, request.method);
      user = verdict.user;
      authenticated = this.options.lockout.judge(verdict.ok, header !== undefined);
      if (!authenticated)
        return reply("401 Unauthorized", { "WWW-Authenticate": this.options.auth.challenge() });
    }

    const base = request.url.replace(/\/+$/, "");
    switch (request.method) {
      case "DESCRIBE":
        return reply(
          "200 OK",
          { "Content-Type": "application/sdp", "Content-Base": `${base}/` },
          this.#sdp(socket.localAddress ?? this.options.host),
        );
      case "SETUP": {
        const transport = request.headers.get("transport") ?? "";
        const interleaved = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
        if (!/RTP\/AVP\/TCP/i.test(transport) || !interleaved)
          return reply("461 Unsupported Transport");
        const channel = Number(interleaved[1]);
        const id = request.headers.get("session")?.split(";")[0] ?? randomBytes(8).toString("hex");
        const existing = sessions.get(id);
        if (/\/track2$/.test(pathOf(request.url))) {
          if (!this.options.pcmu || !existing) return reply("404 Not Found");
          existing.audio = {
            channel,
            ssrc: randomBytes(4).readUInt32BE(0),
            seq: randomInt(0, 0xffff),
            rtpBase: randomBytes(4).readUInt32BE(0),
          };
          return reply("200 OK", {
            Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`,
            Session: `${id};timeout=60`,
          });
        }
        const session: PlaySession = {
          id,
          channel,
          ssrc: randomBytes(4).readUInt32BE(0),
          seq: randomInt(0, 0xffff),
          rtpBase: randomBytes(4).readUInt32BE(0),
          startFrame: -1,
          playing: false,
          awaitingKeyframe: true,
        };
        sessions.set(id, session);
        const ssrc = session.ssrc.toString(16).padStart(8, "0").toUpperCase();
        return reply("200 OK", {
          Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1};ssrc=${ssrc}`,
          Session: `${id};timeout=60`,
        });
      }
      case "PLAY": {
        const session = sessions.get(request.headers.get("session")?.split(";")[0] ?? "");
        if (!session) return reply("454 Session Not Found");
        session.playing = true;
        session.awaitingKeyframe = true;
        return reply("200 OK", {
          Session: session.id,
          Range: "npt=0.000-",
          "RTP-Info": `url=${base}/track1;seq=${session.seq};rtptime=${session.rtpBase}`,
        });
      }
      case "PAUSE":
      case "TEARDOWN": {
        const id = request.headers.get("session")?.split(";")[0] ?? "";
        const session = sessions.get(id);
        if (!session) return reply("454 Session Not Found");
        if (request.method === "PAUSE") session.playing = false;
        else sessions.delete(id);
        return reply("200 OK", { Session: id });
      }
      case "GET_PARAMETER":
      case "SET_PARAMETER":
        return reply("200 OK");
      default:
        // ANNOUNCE, RECORD, REDIRECT...: RTSP methods a camera's stream does not allow.
        return reply("405 Method Not Allowed", { Allow: PUBLIC });
    }
  }

  #sdp(address: string): string {
    const { asset } = this.options;
    return [
      "v=0",
      `o=- ${Date.now()} 1 IN IP4 ${address}`,
      "s=camgate-sim",
      "c=IN IP4 0.0.0.0",
      "t=0 0",
      "a=control:*",
      "a=range:npt=0-",
      "m=video 0 RTP/AVP 96",
      `a=rtpmap:96 ${asset.encoding}/90000`,
      `a=fmtp:96 ${asset.fmtp}`,
      `a=framerate:${asset.fps}`,
      "a=control:track1",
      ...(this.options.pcmu
        ? ["m=audio 0 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=control:track2"]
        : []),
      "",
    ].join("\r\n");
  }

  #sendFrame(socket: Socket, sessions: Map<string, PlaySession>, frameNumber: number): void {
    const { frames } = this.options.asset.stream;
    const frame = frames[frameNumber % frames.length];
    if (!frame) return;
    const ticksPerFrame = RTP_CLOCK / this.options.asset.fps;
    for (const session of sessions.values()) {
      if (!session.playing) continue;
      if (session.awaitingKeyframe) {
        if (!frame.keyframe) continue;
        if (session.startFrame < 0) session.startFrame = frameNumber;
        session.awaitingKeyframe = false;
      }
      // A slow reader loses frames, as behind a real camera; it resumes at the next keyframe.
      if (socket.writableLength > MAX_QUEUED_BYTES) {
        session.awaitingKeyframe = true;
        continue;
      }
      const timestamp =
        (session.rtpBase + Math.round((frameNumber - session.startFrame) * ticksPerFrame)) >>> 0;
      const total = frame.payloads.reduce((sum, payload) => sum + 16 + payload.length, 0);
      const packet = Buffer.allocUnsafe(total);
      let offset = 0;
      frame.payloads.forEach((payload, index) => {
        const marker = index === frame.payloads.length - 1 ? 0x80 : 0;
        packet[offset] = 0x24;
        packet[offset + 1] = session.channel;
        packet.writeUInt16BE(12 + payload.length, offset + 2);
        packet[offset + 4] = 0x80;
        packet[offset + 5] = marker | 96;
        packet.writeUInt16BE(session.seq, offset + 6);
        packet.writeUInt32BE(timestamp, offset + 8);
        packet.writeUInt32BE(session.ssrc, offset + 12);
        payload.copy(packet, offset + 16);
        offset += 16 + payload.length;
        session.seq = (session.seq + 1) & 0xffff;
      });
      socket.write(packet);
      this.#sendAudio(socket, session, frameNumber - session.startFrame);
    }
  }

  /** The microphone's samples for one frame's time, on the audio track if it is set up. */
  #sendAudio(socket: Socket, session: PlaySession, frames: number): void {
    const { pcmu } = this.options;
    const audio = session.audio;
    if (!pcmu || !audio) return;
    const perFrame = Math.round(AUDIO_CLOCK / this.options.asset.fps);
    const from = (frames * perFrame) % pcmu.length;
    const packet = Buffer.allocUnsafe(16 + perFrame);
    packet[0] = 0x24;
    packet[1] = audio.channel;
    packet.writeUInt16BE(12 + perFrame, 2);
    packet[4] = 0x80;
    packet[5] = PCMU_TYPE;
    packet.writeUInt16BE(audio.seq, 6);
    packet.writeUInt32BE((audio.rtpBase + frames * perFrame) >>> 0, 8);
    packet.writeUInt32BE(audio.ssrc, 12);
    // One second of tone, read round: the slice may wrap to its start.
    const copied = pcmu.copy(packet, 16, from, Math.min(from + perFrame, pcmu.length));
    pcmu.copy(packet, 16 + copied, 0, perFrame - copied);
    audio.seq = (audio.seq + 1) & 0xffff;
    socket.write(packet);
  }
}
