import { once } from "node:events";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Logger } from "../log/index.js";
import {
  basicAuthorization,
  type CameraCredentials,
  DigestAnswerer,
  parseChallenges,
  pickDigest,
} from "./camera-auth.js";
import { RtspProtocolError } from "./errors.js";
import {
  type Header,
  headerValue,
  headerValues,
  parseRequestLine,
  parseStatusLine,
  type RtspItem,
  type RtspMessage,
  RtspReader,
  serializeMessage,
} from "./rtsp-message.js";
import type { StreamGuard } from "./stream-guard.js";
import { tokenOf, UrlMap } from "./url-map.js";

export interface RelayTarget {
  cameraId: string;
  /** The camera's rtsp:// or rtsps:// URL, without credentials. */
  url: string;
  credentials?: CameraCredentials | undefined;
  /** A technician's choice for a camera that offers nothing better: send the password in clear. */
  allowBasicAuth: boolean;
}

export type RefusalReason =
  "redirect" | "basic-only" | "credentials-rejected" | "no-credentials" | "no-usable-challenge";

export interface RelaySessionDeps {
  client: Socket;
  port: number;
  /** The target of a relay token, removed so that the token cannot be used twice. */
  claim: (token: string) => Claimed | undefined;
  connectTimeoutMs: number;
  logger: Logger;
  refused: (target: RelayTarget, reason: RefusalReason, detail: string) => void;
  playing: (target: RelayTarget) => void;
}

export interface Claimed {
  target: RelayTarget;
  /**
   * After PLAY, called with a resume function after each read of the camera's bytes (the camera
   * socket then paused), for a relay that batches reads; undefined: read as bytes come.
   */
  pace?: ((resume: () => void) => void) | undefined;
  /** Watches the stream after PLAY and cuts it where it breaks (a recording's ticket). */
  guard?: StreamGuard | undefined;
}

interface PendingRequest {
  method: string;
  uri: string;
  headers: Header[];
  body: Buffer;
  attempts: number;
}

/** Requests of ffmpeg's awaiting the camera's reply; ffmpeg waits for each one. */
const MAX_PENDING = 16;
const DROPPED_REQUEST_HEADERS = new Set(["authorization", "proxy-authorization", "content-length"]);
const DROPPED_REPLY_HEADERS = new Set([
  "www-authenticate",
  "authentication-info",
  "content-length",
]);
/**
 * What the camera's bytes are read into (plain TCP): one buffer for every session, copied out
 * before the read returns. Large, so that a paced read takes everything waiting in one go.
 */
let readBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 512 * 1024;
/** At most this much of a guarded stream is held back waiting for an access unit to end. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;

/**
 * One ffmpeg connection to the relay and its connection to the camera. Until PLAY succeeds both
 * directions are parsed: ffmpeg's requests are pointed at the camera and authenticated here, the
 * camera's replies have their URLs pointed back at the relay, 401s are answered with Digest and
 * 3xx refused. After PLAY the camera's bytes are piped to ffmpeg untouched; ffmpeg's keepalives
 * and RTCP are still parsed, rewritten and authenticated.
 */
export class RelaySession {
  readonly #clientReader = new RtspReader();
  readonly #cameraReader = new RtspReader();
  readonly #pending = new Map<string, PendingRequest>();
  #camera: Socket | undefined;
  #target: RelayTarget | undefined;
  #token: string | undefined;
  #map: UrlMap | undefined;
  #auth: DigestAnswerer | "basic" | undefined;
  #pace: Claimed["pace"];
  #guard: StreamGuard | undefined;
  #playing = false;
  #piping = false;
  #paused = false;
  #closed = false;
  /** The stream was cut: ffmpeg reads what it was sent, then the end of the stream. */
  #ending = false;
  /** Guarded: camera bytes the guard holds back (an access unit still arriving). */
  #held: Buffer = Buffer.alloc(0);
  /** Guarded: stream position (from PLAY on) up to which bytes went to ffmpeg. */
  #sent = 0;
  #work: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RelaySessionDeps) {}

  get token(): string | undefined {
    return this.#token;
  }

  start(): void {
    const { client } = this.deps;
    client.setNoDelay(true);
    client.on("data", (chunk: Buffer) => this.#fromClient(chunk));
    client.on("error", () => this.close());
    client.on("close", () => this.close());
    client.resume();
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#camera?.destroy();
    }
    this.deps.client.destroy();
  }

  /** Ends the session after `last`, the good part of the chunk where the stream broke. */
  #cutOff(last: Buffer): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    this.#camera?.destroy();
    this.deps.client.end(last);
  }

  #fail(error: unknown): void {
    this.deps.logger.warn({ err: error }, "relay connection dropped");
    this.close();
  }

  #fromClient(chunk: Buffer): void {
    let items: RtspItem[];
    try {
      items = this.#clientReader.push(chunk);
    } catch (error) {
      this.#fail(error);
      return;
    }
    for (const item of items)
      this.#work = this.#work
        .then(() => (this.#closed ? undefined : this.#clientItem(item)))
        .catch((error: unknown) => this.#fail(error));
  }

  async #clientItem(item: RtspItem): Promise<void> {
    if (item.kind === "frame") {
      this.#camera?.write(item.data);
      return;
    }
    const request = parseRequestLine(item.startLine);
    if (!request) throw new RtspProtocolError("ffmpeg sent something other than a request");
    const cseq = headerValue(item.headers, "cseq");
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq))
      throw new RtspProtocolError("request without a valid CSeq");
    if (!this.#target && !(await this.#bind(request.uri, cseq))) return;
    const uri = this.#map?.toCamera(request.uri);
    if (uri === undefined) return this.#reply(cseq, 400, "Bad Request (not this relay URL)");
    const transport = headerValue(item.headers, "transport") ?? "";
    if (request.method === "SETUP" && !/interleaved=/i.test(transport))
      return this.#reply(cseq, 461, "Unsupported Transport (the relay carries RTSP over TCP)");
    const pending: PendingRequest = {
      method: request.method,
      uri,
      headers: item.headers.filter(([name]) => !DROPPED_REQUEST_HEADERS.has(name.toLowerCase())),
      body: item.body,
      attempts: 0,
    };
    // After PLAY the camera's replies are not read: nothing waits for them here.
    if (!this.#playing) {
      if (this.#pending.size >= MAX_PENDING)
        throw new RtspProtocolError("too many requests awaiting a reply");
      this.#pending.set(cseq, pending);
    }
    this.#send(pending);
  }

  /** Claims the target of the first request's token and connects to the camera. */
  async #bind(uri: string, cseq: string): Promise<boolean> {
    const token = tokenOf(uri, this.deps.port);
    const claimed = token === undefined ? undefined : this.deps.claim(token);
    if (!token || !claimed) {
      this.#reply(cseq, 404, "Not Found", true);
      return false;
    }
    const { target } = claimed;
    this.#pace = claimed.pace;
    this.#guard = claimed.guard;
    this.#target = target;
    this.#token = token;
    const camera = new URL(target.url);
    this.#map = new UrlMap(camera, { port: this.deps.port, token });
    try {
      this.#camera = await this.#connect(camera);
    } catch (error) {
      this.deps.logger.warn({ err: error, url: target.url }, "camera unreachable");
      this.#reply(cseq, 503, "Service Unavailable (camera unreachable)", true);
      return false;
    }
    return true;
  }

  async #connect(url: URL): Promise<Socket> {
    const secure = url.protocol === "rtsps:";
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || (secure ? 322 : 554));
    // Cameras present self-signed certificates; ffmpeg did not verify them either.
    const socket = secure
      ? tlsConnect({
          host,
          port,
          rejectUnauthorized: false,
          ...(isIP(host) ? {} : { servername: host }),
        })
      : netConnect({
          host,
          port,
          onread: {
            buffer: () => (readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES)),
            callback: (bytes: number, buffer: Uint8Array) => {
              this.#fromCamera(Buffer.from(buffer.subarray(0, bytes)));
              return true;
            },
          },
        });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no connection within ${this.deps.connectTimeoutMs} ms`)),
      this.deps.connectTimeoutMs,
    );
    try {
      await once(socket, secure ? "secureConnect" : "connect");
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      socket.destroy();
      throw new Error("ffmpeg left before the camera answered");
    }
    socket.setNoDelay(true);
    if (secure) socket.on("data", (chunk: Buffer) => this.#fromCamera(chunk));
    socket.on("error", (error) => {
      if (!this.#ending) this.#fail(error);
    });
    socket.on("close", () => {
      if (!this.#ending) this.close();
    });
    return socket;
  }

  #send(request: PendingRequest): void {
    const headers = [...request.headers];
    if (this.#auth === "basic" && this.#target?.credentials)
      headers.push(["Authorization", basicAuthorization(this.#target.credentials)]);
    else if (this.#auth instanceof DigestAnswerer)
      headers.push(["Authorization", this.#auth.authorization(request.method, request.uri)]);
    this.#camera?.write(
      serializeMessage({
        startLine: `${request.method} ${request.uri} RTSP/1.0`,
        headers,
        body: request.body,
      }),
    );
  }

  /** A reply of the relay's own to ffmpeg; `end` closes the connection after it. */
  #reply(cseq: string, status: number, reason: string, end = false): void {
    const bytes = serializeMessage({
      startLine: `RTSP/1.0 ${status} ${reason}`,
      headers: [["CSeq", cseq]],
      body: Buffer.alloc(0),
    });
    if (end) {
      this.deps.client.end(bytes);
      this.#camera?.destroy();
    } else this.deps.client.write(bytes);
  }

  #fromCamera(chunk: Buffer): void {
    if (this.#piping) {
      this.#forward(chunk);
      return;
    }
    try {
      this.#cameraReader.append(chunk);
      for (let item = this.#cameraReader.next(); item; item = this.#cameraReader.next()) {
        if (this.#closed) return;
        if (item.kind === "frame") this.deps.client.write(item.data);
        else this.#cameraMessage(item);
        if (this.#playing) {
          this.#pipe();
          return;
        }
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** From now on the camera's bytes go to ffmpeg untouched. */
  #pipe(): void {
    this.#piping = true;
    const rest = this.#cameraReader.drain();
    if (rest.length > 0) this.#forward(rest);
  }

  /** Camera bytes to ffmpeg; the camera waits while ffmpeg lags, and between paced reads. */
  #forward(received: Buffer): void {
    const camera = this.#camera;
    if (this.#closed) return;
    const pieces = this.#guard ? this.#guarded(this.#guard, received) : [received];
    if (!pieces) return;
    let written = true;
    for (const piece of pieces) if (piece.length > 0) written = this.deps.client.write(piece);
    if (!camera || this.#paused) return;
    if (!written) {
      this.#pause(camera);
      this.deps.client.once("drain", () => this.#resume(camera));
    } else if (this.#pace && received.length < READ_BUFFER_BYTES / 2) {
      this.#pause(camera);
      this.#pace(() => this.#resume(camera));
    }
  }

  /**
   * What of the camera's bytes may go now, in order (the guard holds back an access unit until
   * it is whole; what it holds stays a view of the read it came in, the reads being this
   * session's own); undefined when the stream broke here and the session ended.
   */
  #guarded(guard: StreamGuard, chunk: Buffer): Buffer[] | undefined {
    const verdict = guard.scan(chunk);
    const held = this.#held;
    const start = this.#sent;
    const end = start + held.length + chunk.length;
    let upTo = Math.max(verdict.upTo, start);
    // A camera that never ends an access unit is not held back without bound.
    if (!verdict.cut && end - upTo > MAX_HELD_BYTES) upTo = end;
    const going = upTo - start;
    let out: Buffer[];
    if (going <= held.length) {
      out = [held.subarray(0, going)];
      this.#held = Buffer.concat([held.subarray(going), chunk]);
    } else {
      out = [held, chunk.subarray(0, going - held.length)];
      this.#held = chunk.subarray(going - held.length);
    }
    this.#sent = upTo;
    if (verdict.cut) {
      this.#cutOff(Buffer.concat(out));
      return undefined;
    }
    return out;
  }

  #pause(camera: Socket): void {
    this.#paused = true;
    camera.pause();
  }

  #resume(camera: Socket): void {
    this.#paused = false;
    if (!this.#closed) camera.resume();
  }

  #cameraMessage(message: RtspMessage): void {
    const status = parseStatusLine(message.startLine);
    if (status === undefined) {
      // A request from the camera (REDIRECT, ANNOUNCE...): not passed on to ffmpeg.
      if (!parseRequestLine(message.startLine))
        throw new RtspProtocolError("the camera sent something other than RTSP");
      const cseq = headerValue(message.headers, "cseq") ?? "0";
      this.#camera?.write(`RTSP/1.0 501 Not Implemented\r\nCSeq: ${cseq.slice(0, 10)}\r\n\r\n`);
      return;
    }
    const cseq = headerValue(message.headers, "cseq") ?? "";
    const request = this.#pending.get(cseq);
    if (!request) return;
    this.#pending.delete(cseq);
    if (status >= 300 && status < 400) {
      const location = headerValue(message.headers, "location") ?? "(none)";
      this.#refuse(
        "redirect",
        `the camera answered ${request.method} with ${status}, Location ${location.slice(0, 200)}`,
      );
      return this.#reply(cseq, 502, "Bad Gateway (camera redirect refused)", true);
    }
    if (status === 401) return this.#unauthorized(cseq, request, message);
    if (request.method === "DESCRIBE" && status >= 200 && status < 300)
      this.#guard?.described(message.body.toString("latin1"));
    if (request.method === "PLAY" && status >= 200 && status < 300) {
      this.#playing = true;
      if (this.#target) this.deps.playing(this.#target);
    }
    this.deps.client.write(this.#toClient(message));
  }

  #toClient(message: RtspMessage): Buffer {
    const map = this.#map;
    if (!map) throw new RtspProtocolError("no camera bound");
    const headers: Header[] = message.headers
      .filter(([name]) => !DROPPED_REPLY_HEADERS.has(name.toLowerCase()))
      .map(([name, value]) => [name, map.toRelay(value)]);
    const type = headerValue(message.headers, "content-type") ?? "";
    const body = /sdp/i.test(type)
      ? Buffer.from(map.toRelay(message.body.toString("latin1")), "latin1")
      : message.body;
    return serializeMessage({ startLine: message.startLine, headers, body });
  }

  /** The camera asks for credentials: Digest is answered, Basic only where a technician allowed it. */
  #unauthorized(cseq: string, request: PendingRequest, message: RtspMessage): void {
    const target = this.#target;
    const credentials = target?.credentials;
    if (!target || !credentials) {
      this.#refuse("no-credentials", "the camera asks for credentials and none are stored");
      return this.#reply(cseq, 401, "Unauthorized (no credentials stored for this camera)");
    }
    const challenges = parseChallenges(headerValues(message.headers, "www-authenticate"));
    const digest = pickDigest(challenges);
    const stale = digest?.params.stale?.toLowerCase() === "true";
    if (request.attempts >= 2 || (request.attempts >= 1 && !stale) || this.#auth === "basic") {
      this.#refuse("credentials-rejected", `the camera refused the stored credentials`);
      return this.#reply(cseq, 401, "Unauthorized (the camera refused the credentials)");
    }
    if (digest) {
      this.#auth = new DigestAnswerer(digest, credentials);
    } else if (challenges.some((challenge) => challenge.scheme === "basic")) {
      if (!target.allowBasicAuth) {
        this.#refuse(
          "basic-only",
          "the camera offers only Basic authentication, which sends the password in clear",
        );
        return this.#reply(cseq, 401, "Unauthorized (camgate refuses Basic authentication)");
      }
      this.deps.logger.warn(
        { camera: target.cameraId },
        "sending the camera's password with Basic authentication (allowBasicAuth is set)",
      );
      this.#auth = "basic";
    } else {
      const offered = challenges.map((challenge) => challenge.scheme || "?").join(", ");
      this.#refuse("no-usable-challenge", `the camera offers no usable scheme (${offered})`);
      return this.#reply(cseq, 401, "Unauthorized (no usable authentication scheme)");
    }
    request.attempts++;
    this.#pending.set(cseq, request);
    this.#send(request);
  }

  #refuse(reason: RefusalReason, detail: string): void {
    if (this.#target) this.deps.refused(this.#target, reason, detail);
  }
}
