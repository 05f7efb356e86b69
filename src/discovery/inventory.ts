import { createHash } from "node:crypto";
import {
  type CameraObservation,
  type CameraRecord,
  type CameraTrust,
  observationOf,
  type Repositories,
} from "../store/index.js";
import type { DeviceReport } from "./interrogate.js";

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

function compare(before: CameraRecord | undefined, after: CameraRecord): InventoryChange {
  if (!before) return "new";
  return COMPARED.some((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    ? "changed"
    : "unchanged";
}

/**
 * Keeps the cameras table in step with what discovery and the technician find. A URN or a MAC in
 * a discovery reply is a claim, not an identity: rows are found by id, and a new device that
 * repeats a known URN from another address gets a row of its own.
 */
export class Inventory {
  constructor(
    private readonly repos: Pick<Repositories, "cameras">,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records an interrogated device: into the row `id` when given, else a new row (pending
   * unless `trust` says otherwise) whose id comes from its URN, or from URN and address when
   * another device already holds that URN.
   */
  record(
    report: DeviceReport,
    options: { id?: string; urn?: string; trust?: CameraTrust; claims?: string | null } = {},
  ): { camera: CameraRecord; change: InventoryChange } {
    const known = options.id === undefined ? undefined : this.repos.cameras.get(options.id);
    const urn = options.urn ?? known?.urn ?? undefined;
    const observation: CameraObservation = {
      id: known?.id ?? this.#newId(urn, report.mac, report.address),
      urn: urn ?? null,
      mac: report.mac ?? known?.mac ?? null,
      ip: report.address,
      xaddrs: [report.xaddr],
      manufacturer: report.manufacturer ?? known?.manufacturer ?? null,
      model: report.model ?? known?.model ?? null,
      firmware: report.firmwareVersion ?? known?.firmware ?? null,
      serial: report.serialNumber ?? known?.serial ?? null,
      hardware: report.hardwareId ?? known?.hardware ?? null,
      name: report.name ?? known?.name ?? null,
      profiles: report.profiles.length > 0 || !known ? report.profiles : known.profiles,
      clockOffsetMs: report.clockOffsetMs ?? null,
      lastSeenMs: this.now(),
      reachable: true,
    };
    const camera = this.repos.cameras.upsert(observation, {
      trust: options.trust ?? "pending",
      claims: options.claims ?? null,
    });
    return { camera, change: compare(known, camera) };
  }

  /**
   * A known camera answered discovery but was not (or could not be) interrogated: only its
   * last-seen time and reachability are refreshed, so what an earlier interrogation learnt, and
   * the address it is pinned to, are never changed by a discovery reply.
   */
  recordSighting(camera: CameraRecord): { camera: CameraRecord; change: InventoryChange } {
    const updated = this.repos.cameras.upsert({
      ...observationOf(camera),
      lastSeenMs: this.now(),
      reachable: true,
    });
    return { camera: updated, change: compare(camera, updated) };
  }

  /** Marks a known camera unreachable; returns true when that is news. */
  markUnreachable(cameraId: string): boolean {
    const camera = this.repos.cameras.get(cameraId);
    if (!camera?.reachable) return false;
    this.repos.cameras.upsert({ ...observationOf(camera), reachable: false });
    return true;
  }

  #newId(urn: string | undefined, mac: string | undefined, address: string): string {
    const first = cameraIdFor({ urn, mac, address });
    if (!this.repos.cameras.get(first)) return first;
    return cameraIdFor({ urn: `${urn ?? mac ?? ""}@${address}`, address });
  }
}
