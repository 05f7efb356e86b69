import type { CameraRecord, Repositories } from "../store/index.js";
import type { CredentialVault } from "./credentials.js";
import { type DeviceReport, interrogate } from "./interrogate.js";
import type { Inventory, InventoryChange } from "./inventory.js";
import type { DiscoveredDevice } from "./ws-discovery.js";

export interface SurveyDeps {
  repos: Pick<Repositories, "cameras">;
  inventory: Inventory;
  vault: CredentialVault;
  callTimeoutMs: number;
  signal?: AbortSignal;
}

export interface SurveyResult {
  camera: CameraRecord;
  change: InventoryChange;
  /** The interrogation, when it succeeded. */
  report?: DeviceReport;
  /** Why the interrogation failed; the device is recorded from what discovery saw. */
  error?: Error;
}

/**
 * Interrogates one discovered device with its own or the site's default credentials and
 * records the result. A device that cannot be interrogated (no credentials yet, a timeout) is
 * still recorded, without erasing what an earlier interrogation learnt. Used by
 * `discover --save` and by the agent's scheduled rounds alike.
 */
export async function surveyDevice(
  device: DiscoveredDevice,
  xaddr: string,
  deps: SurveyDeps,
): Promise<SurveyResult> {
  const known = deps.repos.cameras.findByIdentity({
    urn: device.urn,
    mac: device.scopes.mac ?? null,
  });
  try {
    const report = await interrogate(xaddr, {
      credentials: deps.vault.forCamera(known?.id),
      callTimeoutMs: deps.callTimeoutMs,
      signal: deps.signal,
    });
    return { ...deps.inventory.record(report, device.urn), report };
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    return { ...deps.inventory.recordSighting(device), error: error as Error };
  }
}
