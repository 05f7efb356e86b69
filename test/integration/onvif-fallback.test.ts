import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CredentialVault,
  type DiscoveredDevice,
  Inventory,
  rtspCameraUrl,
  rtspObservation,
  surveyDevice,
} from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import { type FixtureDevice, onvifFixture, startFixtureDevice } from "../helpers/fixture-device.js";
import { defer, tempDir } from "../helpers/temp.js";

/**
 * A Xiongmai-made camera (Manufacturer "ONVIF_IPNC", IPG-8150PSS) as its captured replies show
 * it: clock and identity answer, and everything it does not implement gets its own
 * ActionNotSupported fault ("Action Not Implemented", HTTP 500).
 */
const IPNC = "onvif-ipnc_ipg-8150pss";
const fault = { status: 500, body: onvifFixture(`${IPNC}/Fault_ActionNotSupported.xml`) };
const identity = {
  GetSystemDateAndTime: { body: onvifFixture(`${IPNC}/GetSystemDateAndTime.xml`) },
  GetDeviceInformation: { body: onvifFixture(`${IPNC}/GetDeviceInformation.xml`) },
};
/** A real GetServices that advertises Media1 at /onvif/Media and Media2 at /onvif/Media2. */
const services = {
  GetServices: { body: onvifFixture("hikvision-oem_enp1a14-ir-25x/GetServices.xml") },
};

interface InspectJson {
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  clockOffsetMs?: number;
  services: Record<string, string>;
  profiles: { token: string; width?: number; streamUri?: string }[];
  warnings: string[];
}

async function inspect(device: FixtureDevice): Promise<InspectJson> {
  const result = await runCamgate(
    ["inspect", device.xaddr, "-u", "admin", "--password-stdin", "--json", "--timeout", "5s"],
    { input: "secret" },
  );
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as InspectJson;
}

describe("ONVIF interrogation of devices whose media service fails (real replies)", () => {
  const devices: FixtureDevice[] = [];
  let asCaptured: FixtureDevice;
  let media1Works: FixtureDevice;
  let noProfiles: FixtureDevice;
  before(async () => {
    asCaptured = await startFixtureDevice({
      address: "127.0.100.10",
      port: 8899,
      replies: identity,
      fallback: fault,
    });
    media1Works = await startFixtureDevice({
      address: "127.0.100.11",
      port: 8899,
      replies: {
        ...identity,
        ...services,
        "/onvif/Media GetProfiles": { body: onvifFixture("dlink_dcs-6511/GetProfiles.xml") },
        "/onvif/Media GetStreamUri": { body: onvifFixture(`${IPNC}/GetStreamUri.xml`) },
      },
      fallback: fault,
    });
    noProfiles = await startFixtureDevice({
      address: "127.0.100.12",
      port: 8899,
      replies: { ...identity, ...services },
      fallback: fault,
    });
    devices.push(asCaptured, media1Works, noProfiles);
  });
  after(() => Promise.all(devices.map((device) => device.stop())));

  it("Media2 GetProfiles refused: Media1 gives the profiles and their streams", async () => {
    const report = await inspect(media1Works);
    const asked = media1Works.asked();
    assert.ok(asked.includes("/onvif/Media2 GetProfiles"), asked.join(", "));
    assert.ok(asked.includes("/onvif/Media GetProfiles"), asked.join(", "));
    assert.equal(report.manufacturer, "ONVIF_IPNC");
    assert.deepEqual(
      report.profiles.map((profile) => [profile.token, profile.width, profile.streamUri]),
      [
        ["Profile1", 1280, "rtsp://127.0.100.11/live/0/MAIN"],
        ["Profile2", 640, "rtsp://127.0.100.11/live/0/MAIN"],
      ],
    );
    assert.ok(
      report.warnings.some((w) => /^Media2 GetProfiles: .*ActionNotSupported/.test(w)),
      report.warnings.join("\n"),
    );
  });

  it("no profile readable at all: identity, firmware, clock and services, with a warning", async () => {
    const report = await inspect(noProfiles);
    assert.equal(report.manufacturer, "ONVIF_IPNC");
    assert.equal(report.model, "IPG-8150PSS");
    assert.equal(report.firmwareVersion, "1.3.0-20210203CN-PT");
    assert.equal(typeof report.clockOffsetMs, "number");
    assert.equal(
      report.services["http://www.onvif.org/ver20/media/wsdl"],
      "http://127.0.100.12:8899/onvif/Media2",
    );
    assert.deepEqual(report.profiles, []);
    assert.ok(
      report.warnings.some((w) => /no media profile could be read/.test(w)),
      report.warnings.join("\n"),
    );
  });

  it("the device as captured (no services at all): still reported, with warnings", async () => {
    const report = await inspect(asCaptured);
    assert.equal(report.model, "IPG-8150PSS");
    assert.deepEqual(report.services, {});
    assert.ok(report.warnings.some((w) => /^GetCapabilities: .*ActionNotSupported/.test(w)));
    assert.ok(report.warnings.some((w) => /advertises no media service/.test(w)));
  });

  it("discovery keeps such a device as pending", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const vault = new CredentialVault(repos, await SecretSealer.open(join(dir, "seal.key")));
    const sighting: DiscoveredDevice = {
      urn: "urn:uuid:7c6f1b4e-2a1d-4d0e-9f1a-8150a5500001",
      addresses: ["127.0.100.10"],
      xaddrs: [asCaptured.xaddr],
      xaddr: asCaptured.xaddr,
      types: ["dn:NetworkVideoTransmitter"],
      scopes: { profiles: [] },
      errors: [],
    };
    const result = await surveyDevice(sighting, asCaptured.xaddr, {
      repos,
      inventory: new Inventory(repos),
      vault,
      callTimeoutMs: 5000,
      limits: { maxCameras: 10, maxPending: 10 },
      autoApprove: false,
    });
    assert.ok("camera" in result, JSON.stringify(result));
    assert.equal(result.camera.trust, "pending");
    assert.equal(result.camera.ip, "127.0.100.10");
    assert.equal(repos.cameras.count("pending"), 1);
  });

  it("a device answering at the address of a camera added by its RTSP URL gets no credential", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const vault = new CredentialVault(repos, await SecretSealer.open(join(dir, "seal.key")));
    const url = rtspCameraUrl("rtsp://127.0.100.11:554/live/0/MAIN");
    const rtsp = repos.cameras.upsert(rtspObservation(url, { nowMs: Date.now() }), {
      trust: "approved",
    });
    repos.cameras.approve(rtsp.id, {
      address: "127.0.100.11",
      serial: null,
      mac: null,
      tlsFingerprint: null,
      httpsPort: null,
      pinnedMs: Date.now(),
    });
    vault.setForCamera(rtsp.id, { username: "admin", password: "sealed-secret" });
    const before = media1Works.asked().length;
    const result = await surveyDevice(
      {
        urn: "urn:uuid:7c6f1b4e-2a1d-4d0e-9f1a-8150a5500002",
        addresses: ["127.0.100.11"],
        xaddrs: [media1Works.xaddr],
        xaddr: media1Works.xaddr,
        types: ["dn:NetworkVideoTransmitter"],
        scopes: { profiles: [] },
        errors: [],
      },
      media1Works.xaddr,
      {
        repos,
        inventory: new Inventory(repos),
        vault,
        callTimeoutMs: 5000,
        limits: { maxCameras: 10, maxPending: 10 },
        autoApprove: false,
      },
    );
    assert.ok("camera" in result && result.camera.id !== rtsp.id, JSON.stringify(result));
    assert.equal(result.camera.trust, "pending");
    // Looked at anonymously: only what a device tells anyone, no media call.
    assert.ok(
      media1Works
        .asked()
        .slice(before)
        .every((asked) => !/GetProfiles|GetStreamUri/.test(asked)),
    );
    assert.deepEqual(repos.cameras.get(rtsp.id)?.xaddrs, [], "the RTSP camera is left as it was");
    assert.deepEqual(repos.cameras.get(rtsp.id)?.profiles, rtsp.profiles);
  });
});
