import { createHash } from "node:crypto";
import type { CameraObservation, CameraRecord, Repositories } from "../store/index.js";
import type { DeviceReport } from "./interrogate.js";
import type { DiscoveredDevice } from "./ws-discovery.js";

export type InventoryChange = "new" | "changed" | "unchanged";

/** A stable camera id: from the URN when there is one, else the MAC, else the address. */
export function cameraIdFor(identity: {
  urn?: string | undefined;
  mac?: string | undefined;
  address: string;
}): string {
  const key = identity.urn?.toLowerCase() ?? identity.mac?.toLowerCase() ?? identity.address;
  return `cam-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

const COMPARED: (keyof CameraObservation)[] = [
  "ip",
  "mac",
  "manufacturer",
  "model",
  "firmware",
  "serial",
  "xaddrs",
  "profiles",
  "name",
  "reachable",
];

/** Keeps the cameras table in step with what discovery finds; a re-run updates, never duplicates. */
export class Inventory {
  constructor(
    private readonly repos: Pick<Repositories, "cameras">,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an interrogated device; a camera that moved is recognised by its URN, then MAC. */
  record(report: DeviceReport, urn?: string): { camera: CameraRecord; change: InventoryChange } {
    const known = this.repos.cameras.findByIdentity({ urn: urn ?? null, mac: report.mac ?? null });
    const observation: CameraObservation = {
      id: known?.id ?? cameraIdFor({ urn, mac: report.mac, address: report.address }),
      urn: urn ?? known?.urn ?? null,
      mac: report.mac ?? known?.mac ?? null,
      ip: report.address,
      xaddrs: [report.xaddr],
      manufacturer: report.manufacturer ?? null,
      model: report.model ?? null,
      firmware: report.firmwareVersion ?? null,
      serial: report.serialNumber ?? null,
      hardware: report.hardwareId ?? null,
      name: report.name ?? known?.name ?? null,
      profiles: report.profiles,
      clockOffsetMs: report.clockOffsetMs ?? null,
      lastSeenMs: this.now(),
      reachable: true,
    };
    const camera = this.repos.cameras.upsert(observation);
    if (!known) return { camera, change: "new" };
    const changed = COMPARED.some(
      (key) => JSON.stringify(known[key]) !== JSON.stringify(camera[key]),
    );
    return { camera, change: changed ? "changed" : "unchanged" };
  }

  /**
   * Records a device that answered discovery but could not be interrogated: a new one from what
   * its ProbeMatch says; a known one only gets its address, last-seen time and reachability
   * refreshed, so what an earlier interrogation learnt is never erased.
   */
  recordSighting(device: DiscoveredDevice): { camera: CameraRecord; change: InventoryChange } {
    const known = this.repos.cameras.findByIdentity({
      urn: device.urn,
      mac: device.scopes.mac ?? null,
    });
    const address = device.addresses[0] ?? known?.ip ?? null;
    if (known) {
      const { firstSeenMs: _first, enabled: _enabled, ...rest } = known;
      const camera = this.repos.cameras.upsert({
        ...rest,
        ip: address,
        xaddrs: device.xaddr ? [device.xaddr] : known.xaddrs,
        lastSeenMs: this.now(),
        reachable: true,
      });
      const changed = COMPARED.some(
        (key) => JSON.stringify(known[key]) !== JSON.stringify(camera[key]),
      );
      return { camera, change: changed ? "changed" : "unchanged" };
    }
    const camera = this.repos.cameras.upsert({
      id: cameraIdFor({ urn: device.urn, mac: device.scopes.mac, address: address ?? device.urn }),
      urn: device.urn,
      mac: device.scopes.mac ?? null,
      ip: address,
      xaddrs: device.xaddr ? [device.xaddr] : device.xaddrs,
      manufacturer: null,
      model: device.scopes.hardware ?? null,
      firmware: null,
      serial: null,
      hardware: null,
      name: device.scopes.name ?? null,
      profiles: [],
      clockOffsetMs: null,
      lastSeenMs: this.now(),
      reachable: true,
    });
    return { camera, change: "new" };
  }

  /** Marks a known camera unreachable; returns true when that is news. */
  markUnreachable(cameraId: string): boolean {
    const camera = this.repos.cameras.get(cameraId);
    if (!camera?.reachable) return false;
    const { firstSeenMs: _first, enabled: _enabled, ...rest } = camera;
    this.repos.cameras.upsert({ ...rest, reachable: false });
    return true;
  }
}
