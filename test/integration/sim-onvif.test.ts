import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import onvif, { type Cam, type DeviceInformation } from "onvif";
import { NS } from "../../src/onvif/index.js";
import { child, descend, parseXml, textOf } from "../../src/onvif/xml.js";
import { Simulator } from "../../src/sim/index.js";
import { httpRequest, soapCall } from "../helpers/protocols.js";

const DEVICE_OPS = [
  "GetSystemDateAndTime",
  "GetCapabilities",
  "GetServices",
  "GetDeviceInformation",
  "GetScopes",
  "GetHostname",
  "GetNetworkInterfaces",
  "GetNetworkProtocols",
  "GetNTP",
  "GetUsers",
  "GetDiscoveryMode",
  "GetPasswordComplexityConfiguration",
  "GetAuthFailureWarningConfiguration",
  "GetRemoteDiscoveryMode",
  "SystemReboot",
];
const MEDIA_OPS = ["GetProfiles", "GetVideoSources", "GetStreamUri", "GetSnapshotUri"];

function connectCam(hostname: string, username?: string, password?: string): Promise<Cam> {
  return new Promise((resolve, reject) => {
    const cam = new onvif.Cam({
      hostname,
      username,
      password,
      autoconnect: false,
      timeout: 10_000,
    });
    cam.on("warning", () => undefined);
    cam.connect((error) => (error ? reject(error) : resolve(cam)));
  });
}

function promisified<T>(
  call: (callback: (error: Error | null, result: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    call((error, result) => (error ? reject(error) : resolve(result))),
  );
}

function operationBody(service: "device" | "media", operation: string): string {
  const prefix = service === "device" ? "tds" : "trt";
  const token =
    operation === "GetStreamUri" || operation === "GetSnapshotUri"
      ? "<trt:ProfileToken>Profile_1</trt:ProfileToken>"
      : "";
  const setup =
    operation === "GetStreamUri"
      ? "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
      : "";
  return `<${prefix}:${operation}>${setup}${token}</${prefix}:${operation}>`;
}

describe("simulated cameras over ONVIF", () => {
  let sim: Simulator;
  before(async () => {
    sim = new Simulator({ baseIp: "127.0.3.10", cameras: 2, profile: "mixed", ffmpeg: "ffmpeg" });
    await sim.start();
  });
  after(() => sim.stop());

  const hardened = () => sim.cameras[0]!;
  const weak = () => sim.cameras[1]!;

  it("lets the onvif package's Cam in with the right credentials", async () => {
    const camera = hardened();
    const { username, password } = camera.credentials;
    const cam = await connectCam(camera.state.host, username, password);
    assert.deepEqual(
      cam.profiles.map((profile) => profile.$.token),
      ["Profile_1", "Profile_2"],
    );
    const info = await promisified<DeviceInformation>((cb) => cam.getDeviceInformation(cb));
    assert.equal(info.manufacturer, "CamgateSim");
    assert.equal(info.serialNumber, camera.state.identity.serialNumber);
    const stream = await promisified<{ uri: string }>((cb) =>
      cam.getStreamUri({ protocol: "RTSP", profileToken: "Profile_1" }, cb),
    );
    assert.equal(stream.uri, `rtsp://${camera.state.host}/Streaming/Channels/101`);
  });

  it("refuses the onvif package's Cam without credentials, or with a wrong password", async () => {
    const camera = hardened();
    const anonymous = await connectCam(camera.state.host);
    assert.deepEqual(anonymous.profiles, [], "no media without credentials");
    await assert.rejects(
      promisified((cb) => anonymous.getDeviceInformation(cb)),
      /401|NotAuthorized|authori/i,
    );
    const wrong = await connectCam(camera.state.host, "admin", "not-the-password");
    assert.deepEqual(wrong.profiles, []);
    await assert.rejects(
      promisified((cb) => wrong.getDeviceInformation(cb)),
      /NotAuthorized|not authorized|401/i,
    );
    const refusals = camera.journal.entries().filter((entry) => entry.outcome === "NotAuthorized");
    assert.ok(refusals.some((entry) => entry.user === "admin" && !entry.authenticated));
  });

  it("a weak camera answers GetStreamUri and GetDeviceInformation to anyone, but not GetUsers", async () => {
    const { xaddr } = sim.describe()[1]!;
    const uri = await soapCall(
      xaddr.replace("device_service", "media_service"),
      operationBody("media", "GetStreamUri"),
    );
    assert.equal(uri.status, 200);
    assert.match(uri.body, /rtsp:\/\/127\.0\.3\.11\/Streaming\/Channels\/101/);
    assert.equal(
      (await soapCall(xaddr, operationBody("device", "GetDeviceInformation"))).status,
      200,
    );
    const users = await soapCall(xaddr, operationBody("device", "GetUsers"));
    assert.equal(users.status, 401);
    assert.match(String(users.headers["www-authenticate"]), /^Digest /);
  });

  it("accepts the factory password on a weak camera", async () => {
    const { xaddr } = sim.describe()[1]!;
    const reply = await soapCall(xaddr, operationBody("device", "GetUsers"), {
      username: "admin",
      password: "12345",
      clockOffsetMs: weak().state.clockSkewMs,
    });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /<tt:Username>guest<\/tt:Username>/);
    assert.doesNotMatch(reply.body, /12345|Password/);
  });

  it("checks token freshness and replay on a hardened camera only", async () => {
    const camera = hardened();
    const { xaddr } = sim.describe()[0]!;
    const { username, password } = camera.credentials;
    const stale = { username, password, clockOffsetMs: -3_600_000 };
    assert.equal(
      (await soapCall(xaddr, operationBody("device", "GetDeviceInformation"), stale)).status,
      400,
    );
    const weakCamera = weak();
    const weakStale = {
      username: "admin",
      password: "12345",
      clockOffsetMs: weakCamera.state.clockSkewMs - 3_600_000,
    };
    assert.equal(
      (
        await soapCall(
          sim.describe()[1]!.xaddr,
          operationBody("device", "GetDeviceInformation"),
          weakStale,
        )
      ).status,
      200,
    );

    const { usernameTokenHeader } = await import("../../src/onvif/index.js");
    const header = usernameTokenHeader(username, password);
    assert.equal(
      (await soapCall(xaddr, operationBody("device", "GetUsers"), undefined, header)).status,
      200,
    );
    const replay = await soapCall(xaddr, operationBody("device", "GetUsers"), undefined, header);
    assert.equal(replay.status, 400, "a replayed nonce is refused");
    assert.match(replay.body, /NotAuthorized/);
  });

  it("reports its skewed clock before authentication", async () => {
    const reply = await soapCall(
      sim.describe()[1]!.xaddr,
      operationBody("device", "GetSystemDateAndTime"),
    );
    const root = parseXml(reply.body);
    const utc = descend(
      root,
      [NS.soap12, "Body"],
      [NS.tds, "GetSystemDateAndTimeResponse"],
      [NS.tds, "SystemDateAndTime"],
      [NS.tt, "UTCDateTime"],
    );
    const part = (...path: [string, string][]) => Number(textOf(descend(utc, ...path)));
    const camera = Date.UTC(
      part([NS.tt, "Date"], [NS.tt, "Year"]),
      part([NS.tt, "Date"], [NS.tt, "Month"]) - 1,
      part([NS.tt, "Date"], [NS.tt, "Day"]),
      part([NS.tt, "Time"], [NS.tt, "Hour"]),
      part([NS.tt, "Time"], [NS.tt, "Minute"]),
      part([NS.tt, "Time"], [NS.tt, "Second"]),
    );
    const offset = camera - Date.now();
    assert.ok(Math.abs(offset - weak().state.clockSkewMs) < 60_000, `offset ${offset}`);
  });

  it("sends well-formed, namespace-correct SOAP for every operation, authenticated or not", async () => {
    for (const [index, info] of sim.describe().entries()) {
      const camera = sim.cameras[index]!;
      for (const credentials of [
        undefined,
        { ...camera.credentials, clockOffsetMs: camera.state.clockSkewMs },
      ]) {
        for (const [service, operations] of [
          ["device", DEVICE_OPS],
          ["media", MEDIA_OPS],
        ] as const) {
          const xaddr =
            service === "device"
              ? info.xaddr
              : info.xaddr.replace("device_service", "media_service");
          for (const operation of operations) {
            const reply = await soapCall(xaddr, operationBody(service, operation), credentials);
            const root = parseXml(reply.body); // strict: unbound prefixes and malformed XML throw
            assert.equal(root.ns, NS.soap12, `${operation}: SOAP 1.2 envelope`);
            assert.equal(root.local, "Envelope");
            const first = child(root, NS.soap12, "Body")?.children[0];
            assert.ok(first, `${operation}: empty body`);
            if (reply.status === 200) {
              assert.equal(
                first.ns,
                service === "device" ? NS.tds : NS.trt,
                `${operation} response namespace`,
              );
              assert.equal(first.local, `${operation}Response`);
            } else {
              assert.equal(first.ns, NS.soap12, `${operation}: ${reply.status} is a SOAP Fault`);
              assert.equal(first.local, "Fault");
            }
          }
        }
      }
    }
  });

  it("answers unsupported and state-changing operations with ActionNotSupported, and journals them", async () => {
    const camera = hardened();
    const reply = await soapCall(
      sim.describe()[0]!.xaddr,
      operationBody("device", "SystemReboot"),
      camera.credentials,
    );
    assert.equal(reply.status, 400);
    assert.match(reply.body, /ter:ActionNotSupported/);
    assert.ok(
      camera.journal
        .entries()
        .some((e) => e.operation === "SystemReboot" && e.outcome === "ActionNotSupported"),
    );
  });

  it("serves snapshot and admin page: open and Basic on plain HTTP when weak, Digest and HTTPS when hardened", async () => {
    const [hard, soft] = sim.describe();
    const basic = `Basic ${Buffer.from("admin:12345").toString("base64")}`;
    const weakSnapshot = await httpRequest(soft!.snapshot, { headers: { Authorization: basic } });
    assert.equal(weakSnapshot.status, 200);
    assert.equal(weakSnapshot.headers["content-type"], "image/jpeg");
    const hardSnapshot = await httpRequest(hard!.snapshot, { headers: { Authorization: basic } });
    assert.equal(hardSnapshot.status, 401);
    assert.match(String(hardSnapshot.headers["www-authenticate"]), /^Digest /);
    assert.equal(
      (await httpRequest(soft!.snapshot)).status,
      200,
      "weak: snapshot needs no credentials at all",
    );
    const weakAdmin = await httpRequest(`http://${soft!.address}/`);
    assert.equal(weakAdmin.status, 401, "weak: admin page on plain HTTP");
    assert.match(String(weakAdmin.headers["www-authenticate"]), /^Basic /);
    assert.equal(
      (await httpRequest(`http://${soft!.address}/`, { headers: { Authorization: basic } })).status,
      200,
    );
    const admin = await httpRequest(`http://${hard!.address}/`);
    assert.equal(admin.status, 301);
    assert.equal(admin.headers.location, `https://${hard!.address}/`);
  });
});
