import type { DeviceReport } from "../../src/discovery/index.js";
import type { CredentialVault } from "../../src/discovery/index.js";
import type { CameraRecord, Repositories } from "../../src/store/index.js";

/** An interrogation report that says nothing but where the device is, unless told more. */
export function deviceReport(address: string, overrides: Partial<DeviceReport> = {}): DeviceReport {
  return {
    xaddr: `http://${address}/onvif/device_service`,
    address,
    manufacturer: undefined,
    model: undefined,
    firmwareVersion: undefined,
    serialNumber: undefined,
    hardwareId: undefined,
    mac: undefined,
    clockOffsetMs: undefined,
    dateTimeType: undefined,
    services: {},
    httpsPort: undefined,
    scopes: [],
    name: undefined,
    location: undefined,
    profiles: [],
    warnings: [],
    ...overrides,
  };
}

/** An approved camera record with these profiles and nothing else known (unit tests). */
export function cameraWithProfiles(profiles: unknown[]): CameraRecord {
  return {
    id: "cam-1",
    urn: null,
    mac: null,
    ip: "127.0.0.10",
    xaddrs: [],
    manufacturer: null,
    model: null,
    firmware: null,
    serial: null,
    hardware: null,
    name: null,
    profiles,
    clockOffsetMs: null,
    firstSeenMs: 0,
    lastSeenMs: 0,
    reachable: true,
    enabled: true,
    trust: "approved",
    pin: null,
    identityIssue: null,
    claims: null,
  };
}

/** What approveCameras needs of a camera: the simulator's description, or a hand-made one. */
export interface ApprovableCamera {
  urn: string;
  mac: string | null;
  address: string;
  xaddr: string;
  username: string;
  password: string;
}

/** Each camera in the inventory as an approved ONVIF camera `cam-<n>`, its credentials in the vault. */
export function approveCameras(
  repos: Repositories,
  vault: CredentialVault,
  cameras: readonly ApprovableCamera[],
): string[] {
  return cameras.map((camera, index) => {
    const id = `cam-${index}`;
    repos.cameras.upsert(
      {
        id,
        urn: camera.urn,
        mac: camera.mac,
        ip: camera.address,
        xaddrs: [camera.xaddr],
        manufacturer: null,
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: id,
        profiles: [],
        clockOffsetMs: null,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    vault.setForCamera(id, { username: camera.username, password: camera.password });
    return id;
  });
}
