import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  decodeScopes,
  extractDeviceInformation,
  extractMac,
  extractMediaUri,
  extractProfiles,
  extractScopes,
  extractServices,
  extractSystemDateAndTime,
} from "../../src/discovery/extract.js";
import { looksLikeHtml, readFault } from "../../src/discovery/faults.js";
import { chooseXAddr, parseProbeMatches } from "../../src/discovery/probe-matches.js";
import { DEFAULT_XML_LIMITS, NS, parseXml, type XmlElement } from "../../src/onvif/index.js";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/onvif/", import.meta.url));
const load = async (path: string) => readFile(join(FIXTURES, path), "utf8");
const envelope = async (path: string) =>
  parseXml(await load(path), { ...DEFAULT_XML_LIMITS, lenientPrefixes: true });
const utc = (...parts: [number, number, number, number, number, number]) =>
  Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);

type Check = (root: XmlElement, text: string) => void;

const deviceInfo =
  (
    manufacturer: string | undefined,
    model: string,
    firmwareVersion: string,
    serialNumber: string,
    hardwareId: string,
  ): Check =>
  (root) =>
    assert.deepEqual(extractDeviceInformation(root), {
      manufacturer,
      model,
      firmwareVersion,
      serialNumber,
      hardwareId,
    });
const clock =
  (
    parts: [number, number, number, number, number, number],
    dateTimeType: "NTP" | "Manual",
    timeZone: string,
  ): Check =>
  (root) =>
    assert.deepEqual(extractSystemDateAndTime(root), {
      utcMs: utc(...parts),
      dateTimeType,
      timeZone,
    });
const uri =
  (expected: string): Check =>
  (root) =>
    assert.equal(extractMediaUri(root), expected);
const fault =
  (code: string, subcodes: string[], notAuthorized: boolean, reason: RegExp, status = 400): Check =>
  (root) => {
    const read = readFault(root, status);
    assert.ok(read, "a fault");
    assert.equal(read.code, code);
    assert.deepEqual(read.subcodes, subcodes);
    assert.equal(read.notAuthorized, notAuthorized);
    assert.match(read.reason, reason);
  };
const answers =
  (operation: string, ns: string): Check =>
  (root) => {
    const first = root.children.find((c) => c.local === "Body")?.children[0];
    assert.equal(first?.local, `${operation}Response`);
    assert.equal(first?.ns, ns);
    assert.equal(readFault(root, 200), undefined);
  };
const services =
  (expected: Record<string, string>): Check =>
  (root) => {
    const found = extractServices(root);
    for (const [ns, xaddr] of Object.entries(expected)) assert.equal(found.get(ns), xaddr, ns);
  };
const profiles =
  (expected: object[]): Check =>
  (root) =>
    assert.deepEqual(extractProfiles(root), expected);

/** Every file in the folder has an entry; the test below fails on a file without one. */
const CHECKS: Record<string, Check> = {
  "agsh-mockup/GetCapabilities.xml": services({
    [NS.tds]: "http://192.168.68.111/onvif/services",
    [NS.trt]: "http://192.168.68.111/onvif/services",
  }),
  "agsh-mockup/GetProfiles.xml": profiles([
    { token: "main", name: "main", encoding: "H264", width: 1920, height: 1080, fps: 5 },
  ]),
  "agsh-mockup/GetServices.xml": services({
    [NS.tds]: "http://192.168.68.111/onvif/services",
    [NS.trt]: "http://192.168.68.111/onvif/services",
  }),
  "agsh-mockup/GetSystemDateAndTime.xml": clock(
    [2014, 12, 24, 19, 14, 37],
    "Manual",
    "MoroccoStandardTime0",
  ),
  "axis_hammeraj/Fault_ActionNotSupported_AudioNotSupported.xml": fault(
    "Receiver",
    ["ActionNotSupported", "AudioNotSupported"],
    false,
    /No audio support/,
  ),
  "axis_hammeraj/Fault_WellFormed.xml": fault("Sender", ["WellFormed"], false, /Well-formed error/),
  "axis_hammeraj/GetNetworkProtocols.xml": answers("GetNetworkProtocols", NS.tds),
  "axis_hammeraj/GetSystemDateAndTime.xml": clock([2024, 7, 9, 19, 49, 6], "Manual", "BRT3"),
  "dahua_go2rtc/GetCapabilities.xml": services({
    [NS.tds]: "http://192.168.1.123/onvif/device_service",
    [NS.trt]: "http://192.168.1.123/onvif/media_service",
  }),
  "dahua_go2rtc/GetSnapshotUri.xml": uri(
    "http://192.168.1.123/onvifsnapshot/media_service/snapshot?channel=1&subtype=1",
  ),
  "dahua_go2rtc/GetStreamUri.xml": uri(
    "rtsp://192.168.1.123:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif",
  ),
  "dlink_dcs-6511/GetCapabilities.xml": services({
    [NS.tds]: "http://192.168.1.33:80/onvif/device_service",
    [NS.trt]: "http://192.168.1.33:80/onvif/device_service",
  }),
  "dlink_dcs-6511/GetDeviceInformation.xml": deviceInfo(
    "D-Link Corporation",
    "DCS-6511",
    "1.16.00",
    "F07D68099FCA",
    "F07D68099FCA",
  ),
  "dlink_dcs-6511/GetHostname.xml": answers("GetHostname", NS.tds),
  "dlink_dcs-6511/GetNTP.xml": answers("GetNTP", NS.tds),
  "dlink_dcs-6511/GetProfiles.xml": profiles([
    { token: "Profile1", name: "Profile1", encoding: "H264", width: 1280, height: 1024, fps: 7 },
    { token: "Profile2", name: "Profile2", encoding: "H264", width: 640, height: 480, fps: 30 },
  ]),
  "dlink_dcs-6511/GetSnapshotUri.xml": uri("http://192.168.1.33/dms?nowprofileid=1"),
  "dlink_dcs-6511/GetSystemDateAndTime.xml": clock([2023, 3, 7, 16, 14, 53], "NTP", "COT5"),
  "dlink_dcs-6511/GetUsers.xml": answers("GetUsers", NS.tds),
  "dvc_dcn-bf5365/ProbeMatches.xml": () => undefined, // checked with the other probe matches below
  "dvc_dcn-bm2220lpr/Fault_ActionNotSupported_gSOAP.xml": fault(
    "Sender",
    [],
    false,
    /not recognized/,
  ),
  "dvc_dcn-bm2220lpr/Fault_NotAuthorized.xml": fault("Sender", [], true, /401 Unauthorized/, 401),
  "dvc_dcn-bm2220lpr/GetNetworkInterfaces.xml": (root) =>
    assert.equal(extractMac(root), "02:00:00:00:00:15"),
  "dvc_dcn-bm2220lpr/GetScopes.xml": (root) =>
    assert.ok(extractScopes(root).some((s) => s.startsWith("onvif://www.onvif.org/"))),
  "dvc_dcn-bm2220lpr/GetStreamUri.xml": uri("rtsp://192.0.2.14:554/profile1"),
  "dvc_dcn-bm2220lpr/GetSystemDateAndTime.xml": clock(
    [2026, 9, 28, 4, 1, 37],
    "Manual",
    "GMT0BST,M3.5.0/1,M10.5.0",
  ),
  "dvc_dcn-bm2220lpr/ProbeMatches.xml": () => undefined,
  "dvc_dcn-bm2220lpr/ProbeMatches_SharedEndpoint1.xml": () => undefined,
  "ezviz_ds-2de2c400ig-w-w/Fault_ActionNotSupported.xml": fault(
    "Receiver",
    ["ActionNotSupported", "InvalidOperation"],
    false,
    /Optional Action Not Implemented/,
    500,
  ),
  "ezviz_ds-2de2c400ig-w-w/Fault_NotAuthorized_HTML401.xml": (_root, text) =>
    assert.ok(looksLikeHtml(text)),
  "ezviz_ds-2de2c400ig-w-w/GetDeviceInformation.xml": deviceInfo(
    "EZVIZ",
    "DS-2DE2C400IG-W-W",
    "V5.3.8 build 260123",
    "REDACTED1",
    "88",
  ),
  "ezviz_ds-2de2c400ig-w-w/GetHostname.xml": answers("GetHostname", NS.tds),
  "ezviz_ds-2de2c400ig-w-w/GetNTP.xml": answers("GetNTP", NS.tds),
  "ezviz_ds-2de2c400ig-w-w/GetNetworkInterfaces.xml": (root) =>
    assert.equal(extractMac(root), "02:00:00:00:00:15"),
  "ezviz_ds-2de2c400ig-w-w/GetScopes.xml": (root) =>
    assert.ok(decodeScopes(extractScopes(root)).mac !== undefined),
  "ezviz_ds-2de2c400ig-w-w/GetStreamUri_media2.xml": uri(
    "rtsp://192.0.2.13/Streaming/Channels/101?transportmode=unicast&profile=Profile_1",
  ),
  "ezviz_ds-2de2c400ig-w-w/GetSystemDateAndTime.xml": clock(
    [2026, 10, 7, 17, 46, 20],
    "NTP",
    "EST-1:00:00",
  ),
  "ezviz_ds-2de2c400ig-w-w/GetUsers.xml": answers("GetUsers", NS.tds),
  "ezviz_ds-2de2c400ig-w-w/ProbeMatches.xml": () => undefined,
  "ezviz_ds-2de2c400ig-w-w/ProbeMatches_DeviceProbe.xml": () => undefined,
  "hikvision-oem_enp1a14-ir-25x/Fault_OperationProhibited_Password.xml": fault(
    "Sender",
    ["OperationProhibited", "Password"],
    false,
    /Too weak password/,
  ),
  "hikvision-oem_enp1a14-ir-25x/GetDeviceInformation.xml": deviceInfo(
    "ONVIF",
    "ENP1A14-IR/25X",
    "V5.5.3 build 180822",
    "ENP1A14-IR/25X20190430AAWRD14878498W",
    "88",
  ),
  "hikvision-oem_enp1a14-ir-25x/GetProfiles_media2.xml": profiles(
    [
      ["Profile_1", "mainStream"],
      ["Profile_2", "subStream"],
      ["Profile_3", "thirdStream"],
    ].map(([token, name]) => ({
      token,
      name,
      encoding: undefined,
      width: undefined,
      height: undefined,
      fps: undefined,
    })),
  ),
  "hikvision-oem_enp1a14-ir-25x/GetServices.xml": services({
    [NS.tds]: "http://192.168.1.182/onvif/device_service",
    [NS.trt]: "http://192.168.1.182/onvif/Media",
  }),
  "hikvision-oem_enp1a14-ir-25x/GetStreamUri.xml": uri(
    "rtsp://192.168.1.182:554/Streaming/Channels/101?transportmode=mcast&profile=Profile_1",
  ),
  "hikvision-oem_enp1a14-ir-25x/GetStreamUri_media2.xml": uri(
    "rtsp://192.168.1.182/Streaming/Channels/101?transportmode=unicast&profile=Profile_1",
  ),
  "hikvision-oem_enp1a14-ir-25x/GetSystemDateAndTime.xml": clock(
    [2023, 3, 6, 14, 13, 45],
    "Manual",
    "EST+5:00:00EDT04:00:00,M3.5.0/01:00:00,M10.5.0/02:00:00",
  ),
  "hikvision-oem_enp1a14-ir-25x/GetUsers.xml": answers("GetUsers", NS.tds),
  "hikvision_iotech-trimmed/ProbeMatches.xml": () => undefined,
  "onvif-apg-example_onvif-rs/ProbeMatches.xml": () => undefined,
  "onvif-ipnc_ipg-8150pss/Fault_ActionNotSupported.xml": fault(
    "Receiver",
    ["ActionNotSupported"],
    false,
    /Action Not Implemented/,
  ),
  "onvif-ipnc_ipg-8150pss/GetDeviceInformation.xml": deviceInfo(
    "ONVIF_IPNC",
    "IPG-8150PSS",
    "1.3.0-20210203CN-PT",
    "I207215E7840DFDA9877E8B",
    "8FE1887A-72EE-403f-9385-5a58aed534cf",
  ),
  "onvif-ipnc_ipg-8150pss/GetStreamUri.xml": uri("rtsp://10.200.1.2/live/0/MAIN"),
  "onvif-ipnc_ipg-8150pss/GetSystemDateAndTime.xml": clock(
    [2024, 2, 20, 13, 13, 1],
    "Manual",
    "CST-08:00",
  ),
  "tplink_iotech-trimmed/ProbeMatches.xml": () => undefined,
  "uniview-oem_gx728mf-ir28/GetDeviceInformation.xml": deviceInfo(
    "NONE",
    "GX728MF-IR28",
    "IPC_G6106-B0005P11D1812C03",
    "210235T8HQ3197000191",
    "GX728MF-IR28",
  ),
  "uniview-oem_gx728mf-ir28/GetNetworkProtocols.xml": answers("GetNetworkProtocols", NS.tds),
  "uniview-oem_gx728mf-ir28/GetProfiles_media2.xml": profiles(
    [1, 2, 3].map((n) => ({
      token: `media_profile${n}`,
      name: `media_profile${n}`,
      encoding: undefined,
      width: undefined,
      height: undefined,
      fps: undefined,
    })),
  ),
  "uniview-oem_gx728mf-ir28/GetServices.xml": services({
    [NS.tds]: "http://192.168.1.127:80/onvif/device_service",
  }),
  "uniview-oem_gx728mf-ir28/GetSnapshotUri_media2.xml": uri(
    "http://192.168.1.127:85/images/snapshot.jpg",
  ),
  "uniview-oem_gx728mf-ir28/GetSystemDateAndTime.xml": clock(
    [2023, 3, 8, 0, 27, 9],
    "Manual",
    "CST5CDT,M3.2.0/2,M11.1.0/2",
  ),
  "unknown-oem_ipd-h4k8m05-bs/Fault_MethodNotImplemented_gSOAP.xml": fault(
    "Sender",
    [],
    false,
    /GetStorageConfigurations/,
  ),
  "unknown-oem_ipd-h4k8m05-bs/GetDeviceInformation.xml": deviceInfo(
    undefined,
    "IPD-H4K8M05-BS",
    "V1.04.10-190309",
    "071D3E36963F",
    "1.0",
  ),
  "unknown-oem_ipd-h4k8m05-bs/GetNTP.xml": answers("GetNTP", NS.tds),
  "unknown-oem_ipd-h4k8m05-bs/GetStreamUri.xml": uri("rtsp://192.168.15.40:554/1/h264major"),
  "unknown-oem_ipd-h4k8m05-bs/GetSystemDateAndTime.xml": clock(
    [2025, 4, 6, 17, 38, 53],
    "Manual",
    "AST4ADT",
  ),
  "unknown-oem_ipd-h4k8m05-bs/GetUsers.xml": answers("GetUsers", NS.tds),
};

const PROBE_MATCHES: Record<
  string,
  { urn: string; xaddrs: string[]; from: string; chosen: string }
> = {
  "dvc_dcn-bf5365/ProbeMatches.xml": {
    urn: "urn:uuid:00000000-0000-4000-8000-000000000011",
    xaddrs: [
      "http://192.0.2.14:80/onvif/device_service",
      "http://[fe80::a]:80/onvif/device_service",
    ],
    from: "192.0.2.14",
    chosen: "http://192.0.2.14/onvif/device_service",
  },
  "dvc_dcn-bm2220lpr/ProbeMatches.xml": {
    urn: "urn:uuid:00000000-0000-4000-8000-000000000008",
    xaddrs: [
      "http://192.0.2.14:80/onvif/device_service",
      "http://[fe80::7]:80/onvif/device_service",
    ],
    from: "192.0.2.14",
    chosen: "http://192.0.2.14/onvif/device_service",
  },
  "dvc_dcn-bm2220lpr/ProbeMatches_SharedEndpoint1.xml": {
    urn: "urn:uuid:00000000-0000-4000-8000-000000000003",
    xaddrs: [
      "http://192.0.2.10:80/onvif/device_service",
      "http://[fe80::2]:80/onvif/device_service",
    ],
    from: "192.0.2.10",
    chosen: "http://192.0.2.10/onvif/device_service",
  },
  "ezviz_ds-2de2c400ig-w-w/ProbeMatches.xml": {
    urn: "urn:uuid:00000000-0000-4000-8000-000000000012",
    xaddrs: ["http://192.0.2.13/onvif/device_service", "https://192.0.2.13/onvif/device_service"],
    from: "192.0.2.13",
    chosen: "http://192.0.2.13/onvif/device_service",
  },
  "ezviz_ds-2de2c400ig-w-w/ProbeMatches_DeviceProbe.xml": {
    urn: "urn:uuid:00000000-0000-4000-8000-000000000012",
    xaddrs: ["http://192.0.2.13/onvif/device_service", "https://192.0.2.13/onvif/device_service"],
    from: "192.0.2.13",
    chosen: "http://192.0.2.13/onvif/device_service",
  },
  "hikvision_iotech-trimmed/ProbeMatches.xml": {
    urn: "urn:uuid:cea94000-fb96-11b3-8260-686dbc5cb15d",
    xaddrs: ["http://192.168.12.123/onvif/device_service"],
    from: "192.0.2.99",
    chosen: "http://192.0.2.99/onvif/device_service",
  },
  "tplink_iotech-trimmed/ProbeMatches.xml": {
    urn: "urn:uuid:3fa1fe68-b915-4053-a3e1-c006c3afec0e",
    xaddrs: ["http://192.168.12.128:2020/onvif/device_service"],
    from: "192.168.12.128",
    chosen: "http://192.168.12.128:2020/onvif/device_service",
  },
};

describe("real-device ONVIF fixtures", () => {
  it("every fixture file has a check", async () => {
    const files: string[] = [];
    for (const vendor of await readdir(FIXTURES, { withFileTypes: true })) {
      if (!vendor.isDirectory()) continue;
      for (const file of await readdir(join(FIXTURES, vendor.name)))
        if (file.endsWith(".xml")) files.push(`${vendor.name}/${file}`);
    }
    assert.deepEqual(files.sort(), Object.keys(CHECKS).sort());
  });

  for (const [file, check] of Object.entries(CHECKS)) {
    it(file, async () => {
      const text = await load(file);
      if (looksLikeHtml(text)) return check(undefined as never, text);
      check(await envelope(file), text);
    });
  }

  for (const [file, expected] of Object.entries(PROBE_MATCHES)) {
    it(`${file}: probe match`, async () => {
      const { matches } = parseProbeMatches(await load(file));
      assert.equal(matches.length, 1);
      const match = matches[0]!;
      assert.equal(match.urn, expected.urn);
      assert.deepEqual(match.xaddrs, expected.xaddrs);
      assert.ok(match.types.some((type) => type.endsWith("NetworkVideoTransmitter")));
      assert.equal(chooseXAddr(match.xaddrs, expected.from), expected.chosen);
    });
  }

  it("onvif-apg-example_onvif-rs/ProbeMatches.xml: probe match", async () => {
    const { matches } = parseProbeMatches(
      await load("onvif-apg-example_onvif-rs/ProbeMatches.xml"),
    );
    assert.equal(matches[0]?.urn, "urn:uuid:a1f48ac2-dc8b-11df-b255-00408c1836b2");
  });
});
