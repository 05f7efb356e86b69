import { tmpdir } from "node:os";
import { join } from "node:path";
import { WSD_MULTICAST } from "../onvif/namespaces.js";
import { SimCamera } from "./camera.js";
import {
  deviceXAddr,
  type SimCameraState,
  type SimPorts,
  type SimUser,
  STANDARD_PORTS,
  snapshotUri,
  streamUri,
} from "./camera-state.js";
import { MulticastProbeListener } from "./discovery-responder.js";
import { SimBindError } from "./errors.js";
import { FrameTicker } from "./frame-ticker.js";
import type { SimEventOptions } from "./event-service.js";
import type { LockoutPolicy } from "./lockout.js";
import {
  cameraIdentity,
  type CameraMedia,
  DEFAULT_CREDENTIALS,
  type MediaName,
  type ProfileName,
  simulatedMedia,
  uniquePassword,
  VULNERABLE_IDENTITY,
  WEAK_CLOCK_SKEW_MS,
  WEAKNESS_NAMES,
  type Weaknesses,
  weaknessesOf,
} from "./profiles.js";
import { pcmuTone } from "./g711.js";
import { createSimulatorCa } from "./tls-certs.js";
import { prepareVideoAsset, type VideoAsset } from "./video-asset.js";

export const UNPRIVILEGED_PORTS: SimPorts = {
  http: 8080,
  https: 8443,
  rtsp: 8554,
  rtsps: 8322,
  telnet: 2323,
  ftp: 2121,
  ssh: 2222,
  debug: 9527,
  sdk: 8000,
  ssdp: 1900,
  snmp: 1161,
};
export const MAX_SIMULATED_CAMERAS = 250;

export interface CameraOverride {
  weaknesses?: Partial<Weaknesses>;
  clockSkewMs?: number;
  /** Lock the account after repeated failed logins on any protocol (see D724_LOCKOUT). */
  lockout?: LockoutPolicy;
  /** A camera without snapshots (many older and cheaper models): only its stream shows a picture. */
  snapshots?: false;
  /** Its event service (false: none; default: Hikvision-like on even cameras, Dahua-like on odd). */
  events?: SimEventOptions | false;
  /** What it streams, instead of the simulator's media. */
  media?: CameraMedia;
}

export interface SimulatorOptions {
  cameras: number;
  /** First camera's address; every further camera takes the next one. Must be in 127.0.0.0/8. */
  baseIp: string;
  profile: ProfileName;
  /** What the cameras stream (default h264; "mixed": H.265, H.264 with G.711, H.264, in turn). */
  media?: MediaName | undefined;
  ffmpeg: string;
  cacheDir?: string;
  videoFile?: string | undefined;
  /** Size, rate and bitrate of the served clip (default 320x240, 10 fps, as small as it gets). */
  video?: { width?: number; height?: number; fps?: number; kbps?: number } | undefined;
  ports?: Partial<SimPorts>;
  discoveryPort?: number;
  /** Listen on the WS-Discovery multicast group as well (default true). */
  multicast?: boolean;
  seed?: string;
  /** Per-camera changes, for tests that need one weakness or one clock alone. */
  override?: (index: number) => CameraOverride | undefined;
  /** Every camera's motion detector turns on on this schedule (default: only on demand). */
  motion?: { everyMs: number; forMs: number } | undefined;
}

export interface SimCameraInfo {
  index: number;
  name: string;
  address: string;
  profile: "hardened" | "weak";
  urn: string;
  mac: string;
  xaddr: string;
  username: string;
  password: string;
  streams: string[];
  snapshot: string;
  weaknesses: string[];
  clockSkewMs: number;
  media: CameraMedia;
}

/** The address `offset` places after `base`, refusing anything outside 127.0.0.0/8. */
export function loopbackAddress(base: string, offset: number): string {
  const octets = base.split(".").map(Number);
  if (
    octets.length !== 4 ||
    octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) ||
    octets[0] !== 127
  ) {
    throw new SimBindError(
      `${base} is not a loopback address (127.0.0.0/8): simulated cameras live on loopback only`,
    );
  }
  const value = (((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) + offset;
  if (value >= 1 << 24) throw new SimBindError(`${base} + ${offset} leaves 127.0.0.0/8`);
  return `127.${(value >> 16) & 255}.${(value >> 8) & 255}.${value & 255}`;
}

/** The profile of the `index`th camera: "mixed" alternates, hardened first. */
export function simulatedProfile(profile: ProfileName, index: number): "hardened" | "weak" {
  return profile === "mixed" ? (index % 2 === 0 ? "hardened" : "weak") : profile;
}

function administrator(factory: boolean, index: number, seed: string | undefined) {
  return factory
    ? { ...DEFAULT_CREDENTIALS }
    : { username: "admin", password: uniquePassword(cameraIdentity(index, seed), seed) };
}

/**
 * The administrator account the `index`th camera of a simulator started with `profile` and
 * `seed` (no overrides) has: what `camgate sim` prints, and what `camgate demo` enrols.
 */
export function simulatedAdministrator(
  profile: ProfileName,
  index: number,
  seed?: string,
): { username: string; password: string } {
  return administrator(
    weaknessesOf(simulatedProfile(profile, index)).defaultCredentials,
    index,
    seed,
  );
}

/** N simulated cameras from one video clip and one clock, on consecutive loopback addresses. */
export class Simulator {
  readonly cameras: SimCamera[] = [];
  #ticker: FrameTicker | undefined;
  #multicast: MulticastProbeListener | undefined;

  constructor(private readonly options: SimulatorOptions) {}

  async start(): Promise<void> {
    const { options } = this;
    if (
      !Number.isInteger(options.cameras) ||
      options.cameras < 1 ||
      options.cameras > MAX_SIMULATED_CAMERAS
    ) {
      throw new SimBindError(`--cameras must be between 1 and ${MAX_SIMULATED_CAMERAS}`);
    }
    const addresses = Array.from({ length: options.cameras }, (_, index) =>
      loopbackAddress(options.baseIp, index),
    );
    const media = addresses.map((_, index) => this.#mediaOf(index));
    const prepare = (codec: "h264" | "h265") =>
      prepareVideoAsset({
        ffmpeg: options.ffmpeg,
        cacheDir: options.cacheDir ?? join(tmpdir(), "camgate-sim-assets"),
        source: options.videoFile,
        ...options.video,
        codec,
      });
    const asset = await prepare("h264");
    const hevc = media.includes("h265") ? await prepare("h265") : undefined;
    const pcmu = media.includes("h264+pcmu") ? pcmuTone() : undefined;
    const ticker = new FrameTicker(asset.fps);
    this.#ticker = ticker;
    const ca = createSimulatorCa();
    const discoveryPort = options.discoveryPort ?? WSD_MULTICAST.port;
    for (const [index, host] of addresses.entries()) {
      const state = this.#stateFor(index, host, asset);
      const served = state.media === "h265" && hevc ? hevc : asset;
      this.cameras.push(
        new SimCamera(state, {
          asset: served,
          ...(state.media === "h264+pcmu" ? { pcmu } : {}),
          ticker,
          ca,
          discoveryPort,
        }),
      );
    }
    try {
      for (const camera of this.cameras) await camera.start();
      if (options.multicast !== false) {
        this.#multicast = new MulticastProbeListener(discoveryPort, () =>
          this.cameras.filter((camera) => camera.running).map((camera) => camera.responder),
        );
        await this.#multicast.start();
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    ticker.start();
  }

  async stop(): Promise<void> {
    this.#ticker?.stop();
    await this.#multicast?.stop();
    await Promise.all(this.cameras.map((camera) => camera.stop()));
  }

  describe(): SimCameraInfo[] {
    return this.cameras.map(({ state, credentials }) => ({
      index: state.identity.index,
      name: state.identity.name,
      address: state.host,
      profile: state.weaknesses.defaultCredentials ? "weak" : "hardened",
      urn: state.identity.urn,
      mac: state.identity.mac,
      xaddr: deviceXAddr(state),
      username: credentials.username,
      password: credentials.password,
      streams: state.profiles.map((profile) => streamUri(state, profile)),
      snapshot: state.snapshots && state.profiles[0] ? snapshotUri(state, state.profiles[0]) : "",
      weaknesses: WEAKNESS_NAMES.filter((name) => state.weaknesses[name]),
      clockSkewMs: state.clockSkewMs,
      media: state.media ?? "h264",
    }));
  }

  #mediaOf(index: number): CameraMedia {
    return (
      this.options.override?.(index)?.media ?? simulatedMedia(this.options.media ?? "h264", index)
    );
  }

  #stateFor(index: number, host: string, asset: VideoAsset): SimCameraState {
    const { options } = this;
    const base = simulatedProfile(options.profile, index);
    const override = options.override?.(index);
    const weaknesses = { ...weaknessesOf(base), ...override?.weaknesses };
    const identity = {
      ...cameraIdentity(index, options.seed),
      ...(weaknesses.vulnerableFirmware ? VULNERABLE_IDENTITY : {}),
    };
    const users: SimUser[] = [
      {
        ...administrator(weaknesses.defaultCredentials, index, options.seed),
        level: "Administrator",
      },
    ];
    if (weaknesses.extraAdminAccount)
      users.push({ username: "guest", password: "guest", level: "Administrator" });
    return {
      identity,
      host,
      ports: { ...STANDARD_PORTS, ...options.ports },
      weaknesses,
      clockSkewMs: override?.clockSkewMs ?? (base === "weak" ? WEAK_CLOCK_SKEW_MS : 0),
      users,
      profiles: [
        { token: "Profile_1", name: "mainStream", path: "/Streaming/Channels/101" },
        { token: "Profile_2", name: "subStream", path: "/Streaming/Channels/102" },
      ],
      video: { width: asset.width, height: asset.height, fps: asset.fps },
      media: this.#mediaOf(index),
      lockout: override?.lockout,
      snapshots: override?.snapshots !== false,
      events:
        override?.events === false
          ? undefined
          : (override?.events ?? {
              flavour: index % 2 === 0 ? "hikvision" : "dahua",
              motion: options.motion,
            }),
    };
  }
}
