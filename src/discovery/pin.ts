import type { CameraPin, CameraRecord } from "../store/index.js";
import type { DeviceReport } from "./interrogate.js";
import { tlsFingerprint } from "./tls-fingerprint.js";

/**
 * What an approved camera is pinned to, from an authenticated report: its address, serial and
 * MAC as the session read them, and the certificate it serves on its HTTPS port (if any). None
 * of these come from a discovery reply, which anyone on the LAN can forge.
 */
export async function readPin(
  report: Pick<DeviceReport, "address" | "serialNumber" | "mac" | "httpsPort">,
  timeoutMs: number,
  signal?: AbortSignal,
  now: () => number = Date.now,
): Promise<CameraPin> {
  const port = report.httpsPort;
  const fingerprint =
    port === undefined ? undefined : await tlsFingerprint(report.address, port, timeoutMs, signal);
  return {
    address: report.address,
    serial: report.serialNumber ?? null,
    mac: report.mac?.toLowerCase() ?? null,
    tlsFingerprint: fingerprint ?? null,
    httpsPort: fingerprint === undefined ? null : (port ?? null),
    pinnedMs: now(),
  };
}

/** What an authenticated report says that contradicts the camera's pin, in words; else null. */
export function pinDifference(
  camera: Pick<CameraRecord, "pin">,
  report: Pick<DeviceReport, "serialNumber" | "mac">,
): string | null {
  const pin = camera.pin;
  if (!pin) return null;
  const differences: string[] = [];
  if (pin.serial && report.serialNumber && pin.serial !== report.serialNumber)
    differences.push(`serial ${report.serialNumber}, pinned ${pin.serial}`);
  const mac = report.mac?.toLowerCase();
  if (pin.mac && mac && pin.mac !== mac) differences.push(`MAC ${mac}, pinned ${pin.mac}`);
  return differences.length > 0 ? `the device answers with ${differences.join("; ")}` : null;
}
