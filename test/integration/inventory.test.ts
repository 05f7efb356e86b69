import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CredentialVault,
  type DeviceReport,
  type DiscoveredDevice,
  Inventory,
  surveyDevice,
} from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Store } from "../../src/store/index.js";
import { deviceReport } from "../helpers/inventory.js";
import { tempDir, defer } from "../helpers/temp.js";

const URN = "urn:uuid:11111111-2222-4333-8444-555555555555";

function sighting(address: string): DiscoveredDevice {
  return {
    urn: URN,
    addresses: [address],
    xaddrs: [`http://${address}/onvif/device_service`],
    xaddr: `http://${address}/onvif/device_service`,
    types: ["dn:NetworkVideoTransmitter"],
    scopes: { name: "Gate", hardware: "CGS-2000", profiles: [] },
    errors: [],
  };
}

function report(address: string, overrides: Partial<DeviceReport> = {}): DeviceReport {
  return deviceReport(address, {
    manufacturer: "CamgateSim",
    model: "CGS-2000",
    firmwareVersion: "V5.5.3",
    serialNumber: "SIM1",
    hardwareId: "HW1",
    mac: "02:00:00:00:00:01",
    clockOffsetMs: 12,
    dateTimeType: "NTP",
    name: "Gate",
    profiles: [
      {
        token: "Profile_1",
        name: "main",
        encoding: "H264",
        width: 320,
        height: 240,
        fps: 10,
        streamUri: `rtsp://${address}/s`,
        snapshotUri: undefined,
      },
    ],
    ...overrides,
  });
}

describe("inventory", () => {
  it("a device that answers discovery but not ONVIF gets no row", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const vault = new CredentialVault(repos, await SecretSealer.open(join(dir, "seal.key")));
    // Nothing listens on 127.0.13.1:80, so the anonymous look fails at once with ECONNREFUSED.
    const result = await surveyDevice(
      sighting("127.0.13.1"),
      "http://127.0.13.1/onvif/device_service",
      {
        repos,
        inventory: new Inventory(repos),
        vault,
        callTimeoutMs: 2000,
        limits: { maxCameras: 10, maxPending: 10 },
        autoApprove: false,
      },
    );
    assert.ok("skipped" in result && result.skipped === "unanswered");
    assert.equal(repos.cameras.count(), 0);
  });

  it("new rows are pending; a second device with the same URN gets a row of its own", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const inventory = new Inventory(repos);
    const first = inventory.record(report("127.0.13.1"), { urn: URN });
    assert.equal(first.change, "new");
    assert.equal(first.camera.trust, "pending");
    const clone = inventory.record(report("127.0.13.2", { serialNumber: "SIM2" }), { urn: URN });
    assert.equal(clone.change, "new");
    assert.notEqual(clone.camera.id, first.camera.id);
    assert.equal(clone.camera.ip, "127.0.13.2");
    assert.equal(repos.cameras.findClaimants({ urn: URN }).length, 2);

    // A sighting refreshes when it was seen, never what an interrogation learnt.
    repos.cameras.approve(first.camera.id, null);
    const seen = inventory.recordSighting(repos.cameras.get(first.camera.id)!);
    assert.equal(seen.change, "unchanged");
    assert.equal(seen.camera.trust, "approved");
    assert.equal(seen.camera.serial, "SIM1");
    assert.equal(seen.camera.profiles.length, 1);

    // A report into a known row keeps what it does not say.
    const again = inventory.record(report("127.0.13.1", { profiles: [], model: undefined }), {
      id: first.camera.id,
    });
    assert.equal(again.camera.model, "CGS-2000");
    assert.equal(again.camera.profiles.length, 1);
    assert.equal(again.camera.trust, "approved");
  });
});
