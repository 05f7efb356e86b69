import { createHash } from "node:crypto";

/**
 * Each weakness is one bad habit of real cameras, switchable alone so that an audit check can be
 * shown to flip exactly its own control.
 */
export interface Weaknesses {
  /** Factory credentials (admin/12345) instead of a unique strong password. */
  defaultCredentials: boolean;
  /** ONVIF device-information and media calls answered without authentication. */
  unauthenticatedOnvif: boolean;
  /** RTSP DESCRIBE/SETUP/PLAY served without authentication. */
  unauthenticatedRtsp: boolean;
  /** The snapshot URL serves a JPEG without authentication. */
  unauthenticatedSnapshot: boolean;
  /** HTTP Basic offered on plain HTTP (web UI and snapshot) instead of Digest. */
  basicOverCleartext: boolean;
  /** The web UI is served on plain HTTP instead of redirecting to HTTPS. */
  cleartextManagement: boolean;
  /** UsernameTokens without nonce/created, stale ones, and PasswordText are accepted. */
  staleWsseAccepted: boolean;
  /** A telnet banner on TCP 23. */
  telnet: boolean;
  /** No NTP server configured; the clock is set manually. */
  noNtp: boolean;
  /** No password complexity policy (MinLen 0, no character classes). */
  noPasswordPolicy: boolean;
  /** No brute-force lockout configured. */
  noLockout: boolean;
  /** TLS 1.0 and 1.1 accepted on HTTPS. */
  legacyTls: boolean;
  /** HTTPS accepts suites without forward secrecy and 3DES. */
  weakCiphers: boolean;
  /** HTTPS serves the factory certificate: self-signed, SHA-1, RSA-1024, no matching name. */
  weakCertificate: boolean;
  /** An extra administrator account named "guest". */
  extraAdminAccount: boolean;
  /** An FTP server greets on TCP 21. */
  ftp: boolean;
  /** An SSH server greets on TCP 22. */
  ssh: boolean;
  /** The vendor debug shell port 9527 is open. */
  debugPort: boolean;
  /** The vendor SDK port 8000 is open. */
  vendorSdk: boolean;
  /** SSDP answers M-SEARCH on UDP 1900. */
  upnp: boolean;
  /** SNMPv2c answers the community "public" on UDP 161. */
  snmpPublic: boolean;
  /** The vendor cloud relay (P2P/DDNS) is switched on. */
  cloudP2P: boolean;
  /** The web server's Server header names the model and firmware to anyone. */
  preauthDisclosure: boolean;
  /** GetSystemLog is answered without credentials. */
  openSystemLog: boolean;
  /** Video only as plain RTP: no RTSPS on TCP 322. */
  plainVideoOnly: boolean;
  /** The camera is a Hikvision model on firmware listed in a vendor advisory. */
  vulnerableFirmware: boolean;
  /** `/System/deviceInfo?auth=YWRtaW46MTEK` bypasses authentication (CVE-2017-7921). */
  hikvisionAuthBypass: boolean;
  /** RPC2_Login accepts clientType NetKeyboard without a password (CVE-2021-33044). */
  dahuaAuthBypass: boolean;
}

export type WeaknessName = keyof Weaknesses;
export const WEAKNESS_NAMES = [
  "defaultCredentials",
  "unauthenticatedOnvif",
  "unauthenticatedRtsp",
  "unauthenticatedSnapshot",
  "basicOverCleartext",
  "cleartextManagement",
  "staleWsseAccepted",
  "telnet",
  "noNtp",
  "noPasswordPolicy",
  "noLockout",
  "legacyTls",
  "weakCiphers",
  "weakCertificate",
  "extraAdminAccount",
  "ftp",
  "ssh",
  "debugPort",
  "vendorSdk",
  "upnp",
  "snmpPublic",
  "cloudP2P",
  "preauthDisclosure",
  "openSystemLog",
  "plainVideoOnly",
  "vulnerableFirmware",
  "hikvisionAuthBypass",
  "dahuaAuthBypass",
] as const satisfies readonly WeaknessName[];

export const PROFILE_NAMES = ["hardened", "weak", "mixed"] as const;

/**
 * What a camera streams: H.264 (most cameras), H.265 (most Hikvision/Dahua main streams now), or
 * H.264 with a G.711 µ-law microphone. "mixed" gives the cameras these in turn.
 */
export const MEDIA_NAMES = ["h264", "h265", "h264+pcmu", "mixed"] as const;
export type MediaName = (typeof MEDIA_NAMES)[number];
export type CameraMedia = Exclude<MediaName, "mixed">;

/**
 * The media of the `index`th camera: "mixed" goes H.265, H.264 with audio, H.264, again (two
 * cameras are enough to show the first two, which take the most care).
 */
export function simulatedMedia(media: MediaName, index: number): CameraMedia {
  if (media !== "mixed") return media;
  return (["h265", "h264+pcmu", "h264"] as const)[index % 3] ?? "h264";
}
export type ProfileName = (typeof PROFILE_NAMES)[number];

export function weaknessesOf(profile: "hardened" | "weak"): Weaknesses {
  const all = profile === "weak";
  return Object.fromEntries(WEAKNESS_NAMES.map((name) => [name, all])) as unknown as Weaknesses;
}

/** Clock skew of a weak camera: 7 minutes fast, beyond any reasonable tolerance. */
export const WEAK_CLOCK_SKEW_MS = 7 * 60_000;

export const DEFAULT_CREDENTIALS = { username: "admin", password: "12345" } as const;

export interface CameraIdentity {
  index: number;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
  mac: string;
  urn: string;
  name: string;
  location: string;
}

/** Stable per (seed, index): the same camera keeps its URN and MAC across simulator restarts. */
export function cameraIdentity(index: number, seed = "camgate-sim"): CameraIdentity {
  const digest = createHash("sha256").update(`${seed}:${index}`).digest();
  const hex = digest.toString("hex");
  const macBytes = [0x02, ...digest.subarray(0, 5)]; // locally administered, unicast
  return {
    index,
    manufacturer: "CamgateSim",
    model: index % 2 === 0 ? "CGS-2000" : "CGS-4K",
    firmwareVersion: index % 2 === 0 ? "V5.5.3 build 200714" : "V2.800.0000000.11.R",
    serialNumber: `SIM${hex.slice(0, 12).toUpperCase()}`,
    hardwareId: index % 2 === 0 ? "CGS2000-HW1" : "CGS4K-HW2",
    mac: macBytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":"),
    urn: `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    name: `SimCam-${String(index + 1).padStart(2, "0")}`,
    location: "Hanoi",
  };
}

/**
 * What a camera with `vulnerableFirmware` claims to be: a Hikvision model on a firmware the
 * CVE-2017-7921 advisory (HSRC-201709-01) lists as affected.
 */
export const VULNERABLE_IDENTITY = {
  manufacturer: "HIKVISION",
  model: "DS-2CD2032-I",
  firmwareVersion: "V5.4.0 build 160530",
} as const;

/** A unique strong password per camera, as a hardened device ships with. */
export function uniquePassword(identity: CameraIdentity, seed = "camgate-sim"): string {
  const digest = createHash("sha256")
    .update(`${seed}:password:${identity.index}`)
    .digest("base64url");
  return `Cg!${digest.slice(0, 10)}7a`;
}
