import type { SimEventOptions } from "./event-service.js";
import type { LockoutPolicy } from "./lockout.js";
import type { CameraIdentity, CameraMedia, Weaknesses } from "./profiles.js";

export interface SimPorts {
  http: number;
  https: number;
  rtsp: number;
  rtsps: number;
  telnet: number;
  ftp: number;
  ssh: number;
  debug: number;
  sdk: number;
  ssdp: number;
  snmp: number;
}

export const STANDARD_PORTS: SimPorts = {
  http: 80,
  https: 443,
  rtsp: 554,
  rtsps: 322,
  telnet: 23,
  ftp: 21,
  ssh: 22,
  debug: 9527,
  sdk: 8000,
  ssdp: 1900,
  snmp: 161,
};

export interface SimUser {
  username: string;
  password: string;
  level: "Administrator" | "Operator" | "User";
}

export interface SimProfile {
  token: string;
  name: string;
  path: string;
}

/** What every server of one simulated camera answers from. */
export interface SimCameraState {
  identity: CameraIdentity;
  host: string;
  ports: SimPorts;
  weaknesses: Weaknesses;
  clockSkewMs: number;
  users: readonly SimUser[];
  profiles: readonly SimProfile[];
  video: { width: number; height: number; fps: number };
  /** What it streams (see MEDIA_NAMES). */
  media?: CameraMedia | undefined;
  /** Brute-force protection that really locks the account; none: failures are only counted. */
  lockout?: LockoutPolicy | undefined;
  /** False for a camera without snapshots: GetSnapshotUri is not supported, no snapshot page. */
  snapshots: boolean;
  /** The ONVIF event service it runs; none: it advertises none. */
  events?: SimEventOptions | undefined;
}

export function cameraNow(state: SimCameraState, nowMs = Date.now()): Date {
  return new Date(nowMs + state.clockSkewMs);
}

export function hostPort(host: string, port: number, standard: number): string {
  return port === standard ? host : `${host}:${port}`;
}

export function deviceXAddr(state: SimCameraState): string {
  return `http://${hostPort(state.host, state.ports.http, 80)}/onvif/device_service`;
}

export function mediaXAddr(state: SimCameraState): string {
  return `http://${hostPort(state.host, state.ports.http, 80)}/onvif/media_service`;
}

export function eventXAddr(state: SimCameraState): string {
  return `http://${hostPort(state.host, state.ports.http, 80)}/onvif/event_service`;
}

export function streamUri(state: SimCameraState, profile: SimProfile): string {
  return `rtsp://${hostPort(state.host, state.ports.rtsp, 554)}${profile.path}`;
}

export function snapshotUri(state: SimCameraState, profile: SimProfile): string {
  return `http://${hostPort(state.host, state.ports.http, 80)}/onvif/snapshot.jpg?profile=${encodeURIComponent(profile.token)}`;
}

export function onvifScopes(state: SimCameraState): string[] {
  const { identity } = state;
  return [
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/Profile/Streaming",
    "onvif://www.onvif.org/Profile/S",
    `onvif://www.onvif.org/name/${encodeURIComponent(identity.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(identity.model)}`,
    `onvif://www.onvif.org/location/city/${encodeURIComponent(identity.location)}`,
    `onvif://www.onvif.org/MAC/${identity.mac}`,
  ];
}
