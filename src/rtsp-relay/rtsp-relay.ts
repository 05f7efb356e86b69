import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { closeServer, listen } from "../util/net.js";
import { RtspRelayNotRunningError } from "./errors.js";
import { peerIsSameUser } from "./peer-user.js";
import {
  type Claimed,
  type RefusalReason,
  RelaySession,
  type RelayTarget,
} from "./relay-session.js";
import { StreamGuard, type StreamGuardOptions } from "./stream-guard.js";
import { UrlMap } from "./url-map.js";

export interface RelayTicket {
  /** What ffmpeg opens: `rtsp://127.0.0.1:PORT/TOKEN/<camera path>`, no secret in it. */
  url: string;
  /** Forgets the URL and closes its connection, if any. Idempotent. */
  revoke(): void;
}

export interface RtspRelayDeps {
  logger: Logger;
  /** How long a URL that was handed out stays usable before ffmpeg connects with it. */
  ticketTtlMs: number;
  connectTimeoutMs: number;
  /**
   * After PLAY, read each camera at most this often (0: as bytes come): what waits in the kernel
   * is then taken in one read, which costs far less CPU than a read per frame. Not for views
   * opened with lowLatency.
   */
  paceMs: number;
  /** A camera the relay refused (redirect, Basic only, credentials rejected), once per change. */
  onRefusal?: (cameraId: string, reason: RefusalReason, detail: string) => void;
  /** Who may use the relay; by default only processes of this process's user. */
  peerAllowed?: (socket: Socket) => Promise<boolean>;
}

interface Ticket {
  target: RelayTarget;
  timer: NodeJS.Timeout;
  paced: boolean;
  guard: StreamGuardOptions | undefined;
}

export interface OpenOptions {
  /** A live view: the camera's bytes are passed on as they come rather than paced. */
  lowLatency?: boolean;
  /** A recording: the stream is cut before a timestamp jump or a parameter change. */
  guard?: StreamGuardOptions;
}

function sameUser(socket: Socket): Promise<boolean> {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return Promise.resolve(false);
  return peerIsSameUser(
    { address: remoteAddress, port: remotePort },
    { address: localAddress, port: localPort },
  );
}

/**
 * The RTSP relay ffmpeg reads cameras through, on 127.0.0.1: the camera's password never reaches
 * ffmpeg's argv nor the camera in clear, and a camera cannot redirect ffmpeg elsewhere. Each
 * `open` hands out a single-use URL with an unguessable token, usable only by a process of this
 * user and only for a short while.
 */
export class RtspRelay implements Component {
  readonly name = "rtsp-relay";
  readonly #tickets = new Map<string, Ticket>();
  readonly #sessions = new Set<RelaySession>();
  /** The last refusal reported per camera, so that a retrying recorder does not repeat it. */
  readonly #refusals = new Map<string, RefusalReason>();
  #server: Server | undefined;
  #port = 0;
  /** Sessions waiting for the next paced read, all resumed by one timer. */
  #waiting: (() => void)[] = [];
  #pacer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RtspRelayDeps) {}

  get port(): number {
    return this.#port;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#server) return;
    const server = createServer({ pauseOnConnect: true }, (socket) => void this.#accept(socket));
    await listen(server, 0, "127.0.0.1");
    const address = server.address();
    this.#port = typeof address === "object" && address ? address.port : 0;
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const ticket of this.#tickets.values()) clearTimeout(ticket.timer);
    this.#tickets.clear();
    clearTimeout(this.#pacer);
    this.#pacer = undefined;
    this.#waiting = [];
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
    const server = this.#server;
    this.#server = undefined;
    this.#port = 0;
    await closeServer(server, []);
  }

  /** A fresh URL for ffmpeg to read `target` through (see OpenOptions). */
  open(target: RelayTarget, options: OpenOptions = {}): RelayTicket {
    if (!this.#server) throw new RtspRelayNotRunningError("the RTSP relay is not running");
    const camera = new URL(target.url);
    if (camera.protocol !== "rtsp:" && camera.protocol !== "rtsps:")
      throw new RangeError(`not an RTSP URL: ${camera.protocol}`);
    camera.username = "";
    camera.password = "";
    const token = randomBytes(18).toString("base64url");
    const timer = setTimeout(() => this.#tickets.delete(token), this.deps.ticketTtlMs);
    timer.unref();
    this.#tickets.set(token, {
      target: { ...target, url: camera.href },
      timer,
      paced: options.lowLatency !== true && this.deps.paceMs > 0,
      guard: options.guard,
    });
    return {
      url: new UrlMap(camera, { port: this.#port, token }).relayUrl(camera),
      revoke: () => {
        const ticket = this.#tickets.get(token);
        if (ticket) clearTimeout(ticket.timer);
        this.#tickets.delete(token);
        for (const session of this.#sessions) if (session.token === token) session.close();
      },
    };
  }

  async #accept(socket: Socket): Promise<void> {
    socket.on("error", () => socket.destroy());
    const allowed = await (this.deps.peerAllowed ?? sameUser)(socket).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, "could not tell who connected to the RTSP relay");
      return false;
    });
    if (!allowed || !this.#server) {
      if (!allowed)
        this.deps.logger.warn(
          { peerPort: socket.remotePort },
          "refused a connection to the RTSP relay from another user",
        );
      socket.destroy();
      return;
    }
    const session: RelaySession = new RelaySession({
      client: socket,
      port: this.#port,
      claim: (token) => this.#claim(token),
      connectTimeoutMs: this.deps.connectTimeoutMs,
      logger: this.deps.logger,
      refused: (target, reason, detail) => this.#refused(target, reason, detail),
      playing: (target) => this.#refusals.delete(target.cameraId),
    });
    this.#sessions.add(session);
    socket.on("close", () => this.#sessions.delete(session));
    session.start();
  }

  #claim(token: string): Claimed | undefined {
    const ticket = this.#tickets.get(token);
    if (!ticket) return undefined;
    clearTimeout(ticket.timer);
    this.#tickets.delete(token);
    return {
      target: ticket.target,
      ...(ticket.paced ? { pace: (resume: () => void) => this.#pace(resume) } : {}),
      ...(ticket.guard ? { guard: new StreamGuard(ticket.guard) } : {}),
    };
  }

  #pace(resume: () => void): void {
    this.#waiting.push(resume);
    this.#pacer ??= setTimeout(() => {
      this.#pacer = undefined;
      for (const waiting of this.#waiting.splice(0)) waiting();
    }, this.deps.paceMs);
  }

  #refused(target: RelayTarget, reason: RefusalReason, detail: string): void {
    const log = this.deps.logger;
    const fields = { camera: target.cameraId, url: target.url, reason, detail };
    if (this.#refusals.get(target.cameraId) === reason) {
      log.debug(fields, "camera refused by the RTSP relay (again)");
      return;
    }
    this.#refusals.set(target.cameraId, reason);
    log.warn(fields, "camera refused by the RTSP relay");
    this.deps.onRefusal?.(target.cameraId, reason, detail);
  }
}
