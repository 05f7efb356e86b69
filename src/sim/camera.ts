import { BannerServer } from "./banner-server.js";
import type { SimCameraState } from "./camera-state.js";
import { DigestAuthority } from "./digest-auth.js";
import { DiscoveryResponder } from "./discovery-responder.js";
import { explainBindError } from "./errors.js";
import { SimEventService } from "./event-service.js";
import type { FrameTicker } from "./frame-ticker.js";
import { HttpServers } from "./http-server.js";
import { RequestJournal, type SimProtocol } from "./journal.js";
import { LoginLockout } from "./lockout.js";
import { OnvifService } from "./onvif-service.js";
import { RtspServer } from "./rtsp-server.js";
import {
  type CertificateMaterial,
  cameraCertificate,
  type createSimulatorCa,
} from "./tls-certs.js";
import { snmpPublicAnswer, ssdpAnswer, UdpResponder } from "./udp-responder.js";
import type { VideoAsset } from "./video-asset.js";

interface Part {
  name: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SimCameraDeps {
  asset: VideoAsset;
  /** The microphone a camera with audio plays (G.711 µ-law, 8 kHz). */
  pcmu?: Buffer | undefined;
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
  /** Failed logins on every protocol, and the locks they caused (with `state.lockout`). */
  readonly lockout: LoginLockout;
  readonly responder: DiscoveryResponder;
  /** Its ONVIF event service (undefined: the camera has none); tests drive its detectors. */
  readonly events: SimEventService | undefined;
  #parts: Part[] = [];
  #stalled = false;
  #certificate: CertificateMaterial | undefined;

  constructor(
    readonly state: SimCameraState,
    private readonly deps: SimCameraDeps,
  ) {
    this.responder = new DiscoveryResponder(state, deps.discoveryPort, this.journal);
    this.lockout = new LoginLockout(state.lockout);
    this.events = state.events ? new SimEventService(state, state.events) : undefined;
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
    this.#certificate ??= cameraCertificate(state.host, state.weaknesses.weakCertificate, deps.ca);
    const digest = new DigestAuthority(
      `${state.identity.manufacturer}-${state.identity.serialNumber}`,
      (user) => state.users.find((candidate) => candidate.username === user)?.password,
    );
    const onvif = new OnvifService(state, digest, this.journal, this.lockout, this.events);
    const http = new HttpServers({
      state,
      onvif,
      digest,
      lockout: this.lockout,
      journal: this.journal,
      jpeg: deps.asset.jpeg,
      certificate: this.#certificate,
    });
    const streams = (
      port: number,
      auth: DigestAuthority | null,
      tls?: CertificateMaterial & { ciphers?: string },
    ) =>
      new RtspServer({
        host: state.host,
        port,
        paths: state.profiles.map((profile) => profile.path),
        asset: deps.asset,
        pcmu: deps.pcmu,
        ticker: deps.ticker,
        auth,
        lockout: this.lockout,
        journal: this.journal,
        isStalled: () => this.#stalled,
        ...(tls ? { tls } : {}),
      });
    const rtsp = streams(state.ports.rtsp, state.weaknesses.unauthenticatedRtsp ? null : digest);
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
    if (!state.weaknesses.plainVideoOnly) {
      const rtsps = streams(state.ports.rtsps, digest, {
        ...this.#certificate,
        ...(state.weaknesses.weakCertificate ? { ciphers: "DEFAULT:@SECLEVEL=0" } : {}),
      });
      parts.push({
        name: "rtsps",
        port: state.ports.rtsps,
        start: () => rtsps.start(),
        stop: () => rtsps.stop(),
      });
    }
    parts.push(...this.#extraServices());
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
    this.events?.start();
  }

  /** The services only a weak camera runs: each one is what one weakness switches on. */
  #extraServices(): Part[] {
    const { state, journal } = this;
    const { weaknesses: weak, ports, host, identity } = state;
    const banners: [boolean, SimProtocol, number, string][] = [
      [
        weak.telnet,
        "telnet",
        ports.telnet,
        `\r\nBusyBox v1.19.4 (2019-07-14) built-in shell\r\n\r\n${identity.name} login: `,
      ],
      [weak.ftp, "ftp", ports.ftp, "220 (vsFTPd 2.3.4)\r\n"],
      [weak.ssh, "ssh", ports.ssh, "SSH-2.0-dropbear_2014.63\r\n"],
      [weak.debugPort, "tcp", ports.debug, "# "],
      [weak.vendorSdk, "tcp", ports.sdk, ""],
    ];
    const parts: Part[] = [];
    for (const [enabled, protocol, port, banner] of banners) {
      if (!enabled) continue;
      const server = new BannerServer(host, port, banner, protocol, journal);
      parts.push({ name: protocol, port, start: () => server.start(), stop: () => server.stop() });
    }
    const udp: [boolean, SimProtocol, number, ReturnType<typeof ssdpAnswer>][] = [
      [weak.upnp, "ssdp", ports.ssdp, ssdpAnswer(state)],
      [weak.snmpPublic, "snmp", ports.snmp, snmpPublicAnswer(state)],
    ];
    for (const [enabled, protocol, port, answer] of udp) {
      if (!enabled) continue;
      const responder = new UdpResponder(host, port, protocol, answer, journal);
      parts.push({
        name: protocol,
        port,
        start: () => responder.start(),
        stop: () => responder.stop(),
      });
    }
    return parts;
  }

  /** Closes every listener and drops every connection, as a camera losing power would. */
  async stop(): Promise<void> {
    const parts = this.#parts;
    this.#parts = [];
    this.events?.stop();
    await Promise.all(parts.map((part) => part.stop()));
  }
}
