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

describe("inventory", () => {
  it("a device that cannot be interrogated is recorded without erasing what was learnt before", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const inventory = new Inventory(repos);
    const vault = new CredentialVault(repos, await SecretSealer.open(join(dir, "seal.key")));

    // Nothing listens on 127.0.13.1:80, so interrogation fails at once with ECONNREFUSED.
    const first = await surveyDevice(
      sighting("127.0.13.1"),
      "http://127.0.13.1/onvif/device_service",
      { repos, inventory, vault, callTimeoutMs: 2000 },
    );
    assert.equal(first.change, "new");
    assert.match(first.error?.message ?? "", /unreachable/);
    assert.equal(first.camera.model, "CGS-2000");
    assert.equal(first.camera.name, "Gate");

    const report: DeviceReport = {
      xaddr: "http://127.0.13.1/onvif/device_service",
      address: "127.0.13.1",
      manufacturer: "CamgateSim",
      model: "CGS-2000",
      firmwareVersion: "V5.5.3",
      serialNumber: "SIM1",
      hardwareId: "HW1",
      mac: "02:00:00:00:00:01",
      clockOffsetMs: 12,
      dateTimeType: "NTP",
      services: {},
      scopes: [],
      name: "Gate",
      location: undefined,
      profiles: [
        {
          token: "Profile_1",
          name: "main",
          encoding: "H264",
          width: 320,
          height: 240,
          fps: 10,
          streamUri: "rtsp://127.0.13.1/s",
          snapshotUri: undefined,
        },
      ],
      warnings: [],
    };
    assert.equal(inventory.record(report, URN).change, "changed");

    const again = await surveyDevice(
      sighting("127.0.13.2"),
      "http://127.0.13.2/onvif/device_service",
      { repos, inventory, vault, callTimeoutMs: 2000 },
    );
    assert.equal(again.camera.id, first.camera.id);
    assert.equal(again.change, "changed", "it moved");
    assert.equal(again.camera.ip, "127.0.13.2");
    assert.equal(again.camera.manufacturer, "CamgateSim");
    assert.equal(again.camera.firmware, "V5.5.3");
    assert.equal(again.camera.mac, "02:00:00:00:00:01");
    assert.equal(again.camera.profiles.length, 1);
    assert.equal(repos.cameras.list().length, 1);
  });
});
