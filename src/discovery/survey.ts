import type { CameraRecord, IdentityIssue, Repositories } from "../store/index.js";
import type { CredentialVault } from "./credentials.js";
import { type DeviceReport, interrogate } from "./interrogate.js";
import type { Inventory, InventoryChange } from "./inventory.js";
import { pinDifference, readPin } from "./pin.js";
import { tlsFingerprint } from "./tls-fingerprint.js";
import type { DiscoveredDevice } from "./ws-discovery.js";

export interface SurveyLimits {
  /** Every row of the inventory, approved or not. */
  maxCameras: number;
  /** Devices waiting for a technician. */
  maxPending: number;
}

export interface SurveyDeps {
  repos: Pick<Repositories, "cameras">;
  inventory: Inventory;
  vault: CredentialVault;
  callTimeoutMs: number;
  limits: SurveyLimits;
  /** Labs only: a new device is approved as soon as it answers (and gets the site default). */
  autoApprove: boolean;
  now?: () => number;
  signal?: AbortSignal;
}

/** Something about an approved camera's identity the technician must look at. */
export interface IdentityNews {
  camera: CameraRecord;
  issue: IdentityIssue;
}

export type SurveyResult =
  | {
      camera: CameraRecord;
      change: InventoryChange;
      /** The interrogation, when it succeeded. */
      report?: DeviceReport;
      /** Why an approved camera's interrogation failed; what was known of it is kept. */
      error?: Error;
      identity?: IdentityNews;
    }
  | { skipped: "unanswered" | "inventory-full"; error?: Error };

/** The address a device answered from: the host of the XAddr we reach it on. */
function addressOf(xaddr: string): string {
  return new URL(xaddr).hostname;
}

function pinnedAddress(camera: CameraRecord): string | null {
  return camera.pin?.address ?? camera.ip;
}

/**
 * Looks at one device that answered discovery. A URN or MAC in the reply is only a claim:
 * - an approved camera at the address it is pinned to is interrogated with its credentials, and
 *   what the authenticated session reads (serial, MAC, HTTPS certificate) must match its pin;
 * - any other device is looked at anonymously and kept as pending (never sent a credential),
 *   and only if it answers ONVIF at all; if it claims an approved camera's URN or MAC from
 *   another address, that camera keeps its address and the claim is reported.
 */
export async function surveyDevice(
  device: DiscoveredDevice,
  xaddr: string,
  deps: SurveyDeps,
): Promise<SurveyResult> {
  const address = addressOf(xaddr);
  const claimants = deps.repos.cameras.findClaimants({
    urn: device.urn,
    mac: device.scopes.mac ?? null,
  });
  // A camera approved by its RTSP URL is not asked ONVIF: a device answering discovery at its
  // address is looked at as any unknown one, and never gets its credentials.
  const approvedHere = deps.repos.cameras
    .list({ trust: "approved" })
    .filter((camera) => camera.xaddrs.length > 0 && pinnedAddress(camera) === address)
    .sort((a, b) => Number(b.urn === device.urn) - Number(a.urn === device.urn))[0];
  if (approvedHere) return surveyApproved(approvedHere, xaddr, deps);

  // One pending row per address, whatever URN it claims this time (a device that makes up a
  // new one for every probe must not fill the list).
  const pendingHere = deps.repos.cameras
    .list({ trust: "pending" })
    .find((camera) => camera.ip === address);
  if (pendingHere) return deps.inventory.recordSighting(pendingHere);

  const { cameras } = deps.repos;
  const full = () =>
    cameras.count() >= deps.limits.maxCameras || cameras.count("pending") >= deps.limits.maxPending;
  if (full()) return { skipped: "inventory-full" };
  let report: DeviceReport;
  try {
    report = await interrogate(xaddr, {
      anonymous: true,
      callTimeoutMs: deps.callTimeoutMs,
      deviceTimeoutMs: deps.callTimeoutMs * 3,
      signal: deps.signal,
    });
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    return { skipped: "unanswered", error: error as Error };
  }
  // Checked again: other devices of the same round may have filled it meanwhile.
  if (full()) return { skipped: "inventory-full" };
  report.mac ??= device.scopes.mac;
  report.name ??= device.scopes.name;
  const claimed = claimants.find((camera) => camera.trust === "approved");
  const { camera, change } = deps.inventory.record(report, {
    urn: device.urn,
    claims: claimed?.id ?? null,
  });
  if (deps.autoApprove && !claimed) {
    cameras.approve(camera.id, null);
    return surveyApproved(cameras.get(camera.id) ?? camera, xaddr, deps, change);
  }
  if (!claimed) return { camera, change };
  const issue: IdentityIssue = {
    kind: "claimed",
    address,
    detail: `a device at ${address} claims this camera's ${claimed.urn === device.urn ? "URN" : "MAC"}`,
    claimant: camera.id,
    sinceMs: (deps.now ?? Date.now)(),
  };
  cameras.setIdentityIssue(claimed.id, issue);
  return { camera, change, identity: { camera: claimed, issue } };
}

/**
 * An approved camera at its pinned address: its HTTPS certificate is checked against the pin
 * before any credential is sent, then the authenticated session's serial and MAC.
 */
async function surveyApproved(
  camera: CameraRecord,
  xaddr: string,
  deps: SurveyDeps,
  change?: InventoryChange,
): Promise<SurveyResult> {
  const now = deps.now ?? Date.now;
  const address = addressOf(xaddr);
  const mismatch = (detail: string): SurveyResult => {
    const issue: IdentityIssue = {
      kind: "mismatch",
      address,
      detail,
      claimant: null,
      sinceMs: now(),
    };
    const known = camera.identityIssue;
    const news = known?.kind !== "mismatch" || known.detail !== detail;
    if (news) deps.repos.cameras.setIdentityIssue(camera.id, issue);
    const sighting = deps.inventory.recordSighting(camera);
    return news ? { ...sighting, identity: { camera: sighting.camera, issue } } : sighting;
  };
  const pin = camera.pin;
  if (pin?.tlsFingerprint) {
    const port = pin.httpsPort ?? 443;
    const served = await tlsFingerprint(address, port, deps.callTimeoutMs, deps.signal);
    // Silence is not proof of a swap (a busy or rebooting camera): no credential this round,
    // and the camera is not held. Another certificate is.
    if (served === undefined)
      return {
        ...deps.inventory.recordSighting(camera),
        error: new Error(
          `its HTTPS port ${port} did not answer, so its pinned certificate could not be checked: not interrogated this round`,
        ),
      };
    if (served !== pin.tlsFingerprint)
      return mismatch(`its HTTPS certificate changed (port ${port})`);
  }
  const credentials = deps.vault.forCamera(camera);
  if (!credentials) return { ...deps.inventory.recordSighting(camera) };
  let report: DeviceReport;
  try {
    report = await interrogate(xaddr, {
      credentials,
      callTimeoutMs: deps.callTimeoutMs,
      signal: deps.signal,
    });
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    return { ...deps.inventory.recordSighting(camera), error: error as Error };
  }
  const differs = pinDifference(camera, report);
  if (differs) return mismatch(differs);
  const recorded = deps.inventory.record(report, { id: camera.id, trust: "approved" });
  if (!pin)
    deps.repos.cameras.setPin(
      camera.id,
      await readPin(report, deps.callTimeoutMs, deps.signal, now),
    );
  return { ...recorded, change: change ?? recorded.change, report };
}
