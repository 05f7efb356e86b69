import type { DeviceReport } from "../../src/discovery/index.js";

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
