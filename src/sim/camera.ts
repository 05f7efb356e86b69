import { BannerServer } from "./banner-server.js";
import type { SimCameraState } from "./camera-state.js";
import { DigestAuthority } from "./digest-auth.js";
import { DiscoveryResponder } from "./discovery-responder.js";
import { explainBindError } from "./errors.js";
import type { FrameTicker } from "./frame-ticker.js";
import { HttpServers } from "./http-server.js";
import { RequestJournal } from "./journal.js";
import { OnvifService } from "./onvif-service.js";
import { RtspServer } from "./rtsp-server.js";
import {
  type CertificateMaterial,
  cameraCertificate,
  type createSimulatorCa,
} from "./tls-certs.js";
import type { VideoAsset } from "./video-asset.js";

interface Part {
  name: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SimCameraDeps {
  asset: VideoAsset;
  ticker: FrameTicker;
  ca: ReturnType<typeof createSimulatorCa>;
  discoveryPort: number;
}

/**
 * One simulated IP camera on its own loopback address: ONVIF and web on HTTP/HTTPS, RTSP,
 * WS-Discovery, and whatever extra services its weaknesses open. It can be stopped and started
 * again (the device goes away and comes back) and its stream can stall.
 */
export class SimCamera {
  readonly journal = new RequestJournal();
  readonly responder: DiscoveryResponder;
  #parts: Part[] = [];
  #stalled = false;
  #certificate: CertificateMaterial | undefined;

  constructor(
    readonly state: SimCameraState,
    private readonly deps: SimCameraDeps,
  ) {
    this.responder = new DiscoveryResponder(state, deps.discoveryPort, this.journal);
  }

  get running(): boolean {
    return this.#parts.length > 0;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** The administrator account a technician would be given for this camera. */
  get credentials(): { username: string; password: string } {
    const admin = this.state.users[0];
    if (!admin) throw new Error("simulated camera has no user");
    return { username: admin.username, password: admin.password };
  }

  /** Keeps RTSP connections open but sends no more video until unstalled. */
  setStalled(stalled: boolean): void {
    this.#stalled = stalled;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { state, deps } = this;
    this.#certificate ??= cameraCertificate(state.host, state.weaknesses.legacyTls, deps.ca);
    const digest = new DigestAuthority(
      `${state.identity.manufacturer}-${state.identity.serialNumber}`,
      (user) => state.users.find((candidate) => candidate.username === user)?.password,
    );
    const onvif = new OnvifService(state, digest, this.journal);
    const http = new HttpServers({
      state,
      onvif,
      digest,
      journal: this.journal,
      jpeg: deps.asset.jpeg,
      certificate: this.#certificate,
    });
    const rtsp = new RtspServer({
      host: state.host,
      port: state.ports.rtsp,
      paths: state.profiles.map((profile) => profile.path),
      asset: deps.asset,
      ticker: deps.ticker,
      auth: state.weaknesses.unauthenticatedRtsp ? null : digest,
      journal: this.journal,
      isStalled: () => this.#stalled,
    });
    const parts: Part[] = [
      { name: "http", port: state.ports.http, start: () => http.start(), stop: () => http.stop() },
      { name: "rtsp", port: state.ports.rtsp, start: () => rtsp.start(), stop: () => rtsp.stop() },
      {
        name: "ws-discovery",
        port: deps.discoveryPort,
        start: () => this.responder.start(),
        stop: () => this.responder.stop(),
      },
    ];
    if (state.weaknesses.telnet) {
      const telnet = new BannerServer(
        state.host,
        state.ports.telnet,
        `\r\nBusyBox v1.19.4 (2019-07-14) built-in shell\r\n\r\n${state.identity.name} login: `,
        "telnet",
        this.journal,
      );
      parts.push({
        name: "telnet",
        port: state.ports.telnet,
        start: () => telnet.start(),
        stop: () => telnet.stop(),
      });
    }
    const started: Part[] = [];
    for (const part of parts) {
      try {
        await part.start();
        started.push(part);
      } catch (error) {
        await Promise.all(started.map((p) => p.stop()));
        // HTTP and HTTPS start together; name the port that failed as well as we can.
        const port = (error as { port?: number }).port ?? part.port;
        throw explainBindError(state.host, port, error);
      }
    }
    this.#parts = started;
  }

  /** Closes every listener and drops every connection, as a camera losing power would. */
  async stop(): Promise<void> {
    const parts = this.#parts;
    this.#parts = [];
    await Promise.all(parts.map((part) => part.stop()));
  }
}
