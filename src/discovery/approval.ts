import { CamgateError } from "../errors.js";
import type { CameraRecord, Repositories } from "../store/index.js";
import type { CredentialVault } from "./credentials.js";
import { OnvifCallError } from "./errors.js";
import { type DeviceReport, interrogate } from "./interrogate.js";
import type { Inventory } from "./inventory.js";
import { readPin } from "./pin.js";
import type { Credentials } from "./soap-client.js";

/** An approval or a credential change that could not be made; the message says why and what to do. */
export class ApprovalError extends CamgateError {
  constructor(
    message: string,
    readonly reason:
      "unknown-camera" | "not-approved" | "no-address" | "credentials-refused" | "unreachable",
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface ApprovalDeps {
  repos: Pick<Repositories, "cameras">;
  inventory: Inventory;
  vault: CredentialVault;
  callTimeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Interrogates a camera with credentials the technician vouches for, before anything is stored:
 * a refusal says so plainly instead of approving a camera that cannot be recorded.
 */
export async function interrogateWith(
  camera: CameraRecord,
  credentials: Credentials | undefined,
  deps: Pick<ApprovalDeps, "callTimeoutMs" | "signal">,
): Promise<DeviceReport> {
  const xaddr = camera.xaddrs[0];
  if (!xaddr)
    throw new ApprovalError(
      `camera ${camera.id} has no ONVIF address` +
        (camera.profiles.length > 0
          ? ": it was added by its RTSP URL; camgate cameras add --rtsp URL -u USER --password-stdin gives it new credentials"
          : ""),
      "no-address",
    );
  try {
    return await interrogate(xaddr, {
      credentials,
      callTimeoutMs: deps.callTimeoutMs,
      signal: deps.signal,
    });
  } catch (error) {
    if (error instanceof OnvifCallError && error.kind === "not-authorized")
      throw new ApprovalError(
        `camera ${camera.id} (${camera.ip ?? "?"}) refused the credentials${credentials ? ` of ${credentials.username}` : ""}: wrong username or password`,
        "credentials-refused",
        { cause: error },
      );
    throw new ApprovalError(
      `camera ${camera.id} (${camera.ip ?? "?"}) could not be interrogated: ${(error as Error).message}`,
      "unreachable",
      { cause: error },
    );
  }
}

/**
 * A technician approves a device: it is interrogated with the given credentials (else the
 * camera's own, else the site default), pinned to what that authenticated session read, and
 * from then on recorded. With `replaces`, the device is an approved camera that moved (or was
 * swapped): that camera takes the device's address and a new pin, and keeps its id and history.
 */
export async function approveCamera(
  deps: ApprovalDeps,
  cameraId: string,
  options: { credentials?: Credentials; replaces?: string } = {},
): Promise<{ camera: CameraRecord; report: DeviceReport }> {
  const { repos, vault } = deps;
  const device = known(repos, cameraId);
  const targetId = options.replaces ?? cameraId;
  if (options.replaces !== undefined) known(repos, options.replaces);
  const credentials = options.credentials ?? vault.ownOf(targetId) ?? vault.siteDefault();
  const report = await interrogateWith(device, credentials, deps);
  const pin = await readPin(report, deps.callTimeoutMs, deps.signal, deps.now);
  deps.inventory.record(report, { id: targetId });
  if (targetId !== cameraId) repos.cameras.remove(cameraId);
  repos.cameras.approve(targetId, pin);
  if (options.credentials) vault.setForCamera(targetId, options.credentials);
  // A claim this device made on another camera's identity is settled by the technician's choice.
  for (const other of repos.cameras.list({ trust: "approved" }))
    if (other.identityIssue?.claimant === cameraId) repos.cameras.setIdentityIssue(other.id, null);
  return { camera: known(repos, targetId), report };
}

/** New credentials for a camera, stored only once the camera has accepted them. */
export async function changeCredentials(
  deps: ApprovalDeps,
  cameraId: string,
  credentials: Credentials,
): Promise<{ camera: CameraRecord; report: DeviceReport }> {
  const camera = known(deps.repos, cameraId);
  if (camera.trust !== "approved")
    throw new ApprovalError(
      `camera ${cameraId} is not approved: approve it with its credentials (camgate cameras approve ${cameraId} -u USER --password-stdin)`,
      "not-approved",
    );
  const report = await interrogateWith(camera, credentials, deps);
  deps.vault.setForCamera(cameraId, credentials);
  deps.inventory.record(report, { id: cameraId });
  return { camera: known(deps.repos, cameraId), report };
}

function known(repos: Pick<Repositories, "cameras">, id: string): CameraRecord {
  const camera = repos.cameras.get(id);
  if (!camera) throw new ApprovalError(`no camera ${id}`, "unknown-camera");
  return camera;
}
