import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import type { Config } from "../../src/config/index.js";
import {
  approveCamera,
  CredentialVault,
  type Credentials,
  type DiscoveryService,
  Inventory,
} from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import type { RecorderService } from "../../src/recorder/index.js";
import { type SimCameraInfo, Simulator } from "../../src/sim/index.js";
import { Store } from "../../src/store/index.js";
import { assertBounded, underAttack } from "../helpers/attack-cost.js";
import { credentialTraces, startHostileDevice } from "../helpers/hostile-device.js";
import { deviceReport } from "../helpers/inventory.js";
import { recorderConfig, waitFor } from "../helpers/recording.js";
import { type UplinkWorld, uplinkLines, uplinkWorld } from "../helpers/uplink.js";
import { hardenedCameras, setSiteDefaultCredentials } from "../helpers/site.js";
import { defer, type CleanupScope, tempDir } from "../helpers/temp.js";

/** What a technician set as the site's default password before discovery ran. */
const SITE_DEFAULT: Credentials = { username: "siteadmin", password: "S1te-Default!pw" };

async function agentFor(
  t: CleanupScope,
  dir: string,
  cidr: string,
  options: { recorder?: boolean; uplink?: string } = {},
): Promise<{
  agent: Agent;
  config: Config;
  store: Store;
  discovery: DiscoveryService;
  recorder?: RecorderService;
}> {
  const config = recorderConfig(dir, [
    `discovery: {multicast: false, cidrs: [${cidr}], probeTimeout: 1s, callTimeout: 2s, intervalSeconds: 3600}`,
    `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
    `recorder: {enabled: ${options.recorder === true}}`,
    ...(options.uplink ? [options.uplink] : []),
  ]);
  await setSiteDefaultCredentials(config, SITE_DEFAULT);
  const agent = Agent.fromConfig(config, silentLogger());
  const find = <T>(name: string) => agent.components.find((c) => c.name === name) as T;
  return {
    agent,
    config,
    store: find<Store>("store"),
    discovery: find<DiscoveryService>("discovery"),
    recorder: find<RecorderService | undefined>("recorder"),
  };
}

interface CenterMessage {
  topic: string;
  json: Record<string, unknown>;
}

/** A subscriber with the center's certificate, keeping every JSON message the box sends. */
async function listenAsCenter(
  t: CleanupScope,
  world: UplinkWorld,
): Promise<{ messages: CenterMessage[] }> {
  const client = await mqtt.connectAsync(world.broker.url, {
    protocolVersion: 5,
    clientId: "hostile-lan-center",
    reconnectPeriod: 0,
    ca: await readFile(world.pki.ca, "utf8"),
    cert: await readFile(world.centerIdentity.cert, "utf8"),
    key: await readFile(world.centerIdentity.key, "utf8"),
    rejectUnauthorized: true,
  });
  defer(t, () => client.endAsync(true));
  const messages: CenterMessage[] = [];
  client.on("message", (topic, payload) => {
    try {
      messages.push({
        topic,
        json: JSON.parse(payload.toString("utf8")) as Record<string, unknown>,
      });
    } catch {
      // video and other binary payloads are not looked at here
    }
  });
  await client.subscribeAsync("camgate/v1/rec-site/#", { qos: 1 });
  return { messages };
}

/** A pending row for a simulated camera, as an anonymous discovery look would leave it. */
async function pendingRow(config: Config, camera: SimCameraInfo): Promise<string> {
  const store = new Store(config.store.path, silentLogger());
  try {
    const repos = store.open();
    const { camera: row } = new Inventory(repos).record(
      deviceReport(camera.address, { xaddr: camera.xaddr, mac: camera.mac }),
      { urn: camera.urn },
    );
    return row.id;
  } finally {
    store.close();
  }
}

async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "rogue.pem");
  const key = join(dir, "rogue.key");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=rogue",
    "-days",
    "1",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  return { cert: await readFile(cert, "utf8"), key: await readFile(key, "utf8") };
}

/** What `camgate cameras approve` does, on a connection of its own as the CLI has. */
async function approve(config: Config, id: string, credentials: Credentials) {
  const store = new Store(config.store.path, silentLogger());
  try {
    const repos = store.open();
    const vault = new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile));
    return await approveCamera(
      { repos, inventory: new Inventory(repos), vault, callTimeoutMs: 5000 },
      id,
      { credentials },
    );
  } finally {
    store.close();
  }
}

describe("a hostile device on the camera LAN", () => {
  it("a new device with ONVIF and Basic-only RTSP gets no credential, is not recorded, is reported pending", async (t) => {
    const dir = await tempDir(t);
    const rogue = await startHostileDevice(t, { address: "127.0.47.10", urn: "urn:uuid:rogue-1" });
    const { agent, store, discovery, recorder } = await agentFor(t, dir, "127.0.47.8/29", {
      recorder: true,
    });
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const cost = await underAttack(async () => {
      for (let round = 0; round < 2; round++) {
        const result = await discovery.runOnce();
        assert.equal(result.pending, 1, JSON.stringify(result));
      }
    });
    assertBounded(cost, t);
    assert.deepEqual(credentialTraces(rogue.received(), SITE_DEFAULT), []);
    assert.equal(rogue.rtspConnections(), 0, "nobody opened its stream");
    const [row] = store.repos.cameras.list();
    assert.equal(row?.trust, "pending");
    assert.equal(recorder?.processes().size, 0);
    const reported = store.repos.events.list({ kind: "camera_pending" });
    assert.equal(reported.length, 1, "reported once, not every round");
    assert.equal(reported[0]?.detail.address, "127.0.47.10");
  });

  it("a device claiming an approved camera's URN and MAC from elsewhere gets nothing; the camera keeps its address and recording", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.47.20", 1);
    const [camera] = sim.describe();
    // Upstream: mosquitto with mutual TLS and the deployment ACL; the center listens.
    const world = await uplinkWorld(t, join(dir, "world"));
    const center = await listenAsCenter(t, world);
    const { agent, store, config, discovery, recorder } = await agentFor(t, dir, "127.0.47.16/28", {
      recorder: true,
      uplink: uplinkLines(world, await world.pki.issue("rec-site")),
    });
    // The technician found and approved the real camera first.
    const id = await pendingRow(config, camera!);
    const { camera: approved } = await approve(config, id, {
      username: camera!.username,
      password: camera!.password,
    });

    const rogue = await startHostileDevice(t, {
      address: "127.0.47.19",
      urn: camera!.urn,
      mac: camera!.mac,
      serial: approved.serial ?? "",
    });
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    await waitFor(
      "the camera recording",
      () => recorder?.processes().get(approved.id) !== undefined,
      60_000,
    );
    assertBounded(await underAttack(() => discovery.runOnce()), t);

    const traces = credentialTraces(rogue.received(), {
      username: camera!.username,
      password: camera!.password,
    });
    assert.deepEqual(traces, []);
    assert.deepEqual(credentialTraces(rogue.received(), SITE_DEFAULT), []);
    assert.equal(rogue.rtspConnections(), 0);
    const after = store.repos.cameras.get(approved.id)!;
    assert.equal(after.ip, camera!.address, "the camera keeps its pinned address");
    assert.equal(after.identityIssue?.kind, "claimed");
    assert.equal(after.identityIssue?.address, "127.0.47.19");
    assert.ok(recorder?.processes().has(approved.id), "still recorded at its pinned address");
    const claimant = store.repos.cameras.list().find((c) => c.ip === "127.0.47.19");
    assert.equal(claimant?.trust, "pending");
    assert.equal(claimant?.claims, approved.id);
    const reported = store.repos.events.list({ kind: "camera_identity_changed" });
    assert.equal(reported.length, 1);
    assert.equal(reported[0]?.cameraId, approved.id);
    // What the center received: the event, the camera's record with the claim, the pending device.
    const topic = (suffix: string) => `camgate/v1/rec-site/cameras/${suffix}`;
    await waitFor(
      "the claim at the center",
      () =>
        center.messages.some(
          (m) =>
            m.topic === topic(`${approved.id}/events`) &&
            m.json.kind === "camera_identity_changed" &&
            (m.json.detail as { address?: string }).address === "127.0.47.19",
        ) &&
        center.messages.some(
          (m) =>
            m.topic === topic(`${approved.id}/info`) &&
            (m.json.identityIssue as { kind?: string } | null)?.kind === "claimed",
        ) &&
        center.messages.some(
          (m) =>
            m.topic === topic(`${claimant.id}/info`) &&
            m.json.trust === "pending" &&
            m.json.ip === "127.0.47.19",
        ),
      30_000,
    );
  });

  it("a device that takes over an approved camera's address with another HTTPS certificate gets no credential; the camera is held", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.47.30", 1);
    const [camera] = sim.describe();
    const { agent, store, config, discovery, recorder } = await agentFor(t, dir, "127.0.47.24/29", {
      recorder: true,
    });
    const credentials = { username: camera!.username, password: camera!.password };
    const id = await pendingRow(config, camera!);
    const { camera: approved } = await approve(config, id, credentials);
    assert.ok(approved.pin?.tlsFingerprint, "pinned to the certificate it serves on HTTPS");

    // The camera is unplugged; a device takes its address, URN and MAC, with its own certificate
    // (made by the openssl CLI).
    await sim.stop();
    const tls = await selfSignedCertificate(dir);
    const rogue = await startHostileDevice(t, {
      address: camera!.address,
      urn: camera!.urn,
      mac: camera!.mac,
      serial: approved.serial ?? "",
      https: { port: approved.pin.httpsPort ?? 443, ...tls },
    });
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    assertBounded(await underAttack(() => discovery.runOnce()), t);
    assert.deepEqual(credentialTraces(rogue.received(), credentials), []);
    assert.deepEqual(credentialTraces(rogue.received(), SITE_DEFAULT), []);
    // (Its RTSP port may have been reached before the round, by the recorder starting on the
    // pinned address: through the relay, which refuses its Basic challenge, so nothing left.)
    const held = store.repos.cameras.get(id)!;
    assert.equal(held.identityIssue?.kind, "mismatch");
    assert.match(held.identityIssue.detail, /HTTPS certificate changed/);
    // The recorder hears of the hold on the bus and stops that camera's ffmpeg (it takes a moment).
    await waitFor(
      "the held camera's recorder stopped",
      () => !recorder?.processes().has(id),
      30_000,
    );
    const reported = store.repos.events.list({ kind: "camera_identity_changed" });
    assert.equal(reported[0]?.detail.kind, "mismatch");
  });

  it("100 addresses answering only WS-Discovery, a new URN each time, add nothing; the agent stays responsive", async (t) => {
    const dir = await tempDir(t);
    for (let i = 1; i <= 100; i++)
      await startHostileDevice(t, { address: `127.0.48.${i}`, urn: "random", discoveryOnly: true });
    const { agent, store, discovery } = await agentFor(t, dir, "127.0.48.0/25");
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const cost = await underAttack(async () => {
      for (let round = 0; round < 2; round++) {
        const result = await discovery.runOnce();
        // UDP: a few answers of a burst of 100 may be lost; what matters is that none is kept.
        assert.ok(result.found > 50, JSON.stringify(result));
        assert.equal(result.ignored, result.found);
      }
    });
    assert.equal(store.repos.cameras.count(), 0, "no row for a device that never answered ONVIF");
    assertBounded(cost, t);
  });

  it("the inventory is capped: devices past it are ignored, with one inventory_full event", async (t) => {
    const dir = await tempDir(t);
    for (let i = 1; i <= 6; i++)
      await startHostileDevice(t, { address: `127.0.49.${i}`, urn: "random" });
    const config = recorderConfig(dir, [
      "discovery: {multicast: false, cidrs: [127.0.49.0/29], probeTimeout: 1s, callTimeout: 2s, intervalSeconds: 3600, maxPending: 4}",
      "recorder: {enabled: false}",
    ]);
    const agent = Agent.fromConfig(config, silentLogger());
    const discovery = agent.components.find((c) => c.name === "discovery") as DiscoveryService;
    const store = agent.components.find((c) => c.name === "store") as Store;
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    for (let round = 0; round < 3; round++) await discovery.runOnce();
    assert.equal(store.repos.cameras.count("pending"), 4);
    assert.equal(store.repos.events.list({ kind: "inventory_full" }).length, 1);
  });

  it("a device that makes up a new URN for every probe keeps one pending row", async (t) => {
    const dir = await tempDir(t);
    for (const host of ["127.0.49.17", "127.0.49.18"])
      await startHostileDevice(t, { address: host, urn: "random" });
    const { agent, store, discovery } = await agentFor(t, dir, "127.0.49.16/29");
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    for (let round = 0; round < 3; round++) await discovery.runOnce();
    assert.deepEqual(
      store.repos.cameras
        .list()
        .map((camera) => camera.ip)
        .sort(),
      ["127.0.49.17", "127.0.49.18"],
    );
    assert.equal(store.repos.events.list({ kind: "camera_pending" }).length, 2);
  });

  it("two cameras shipped with one URN stay two cameras, and both are recorded once approved", async (t) => {
    const dir = await tempDir(t);
    // Same seed, same index: the same URN (and the same MAC) on two devices, as cloned firmware.
    const sims = [
      new Simulator({
        baseIp: "127.0.47.42",
        cameras: 1,
        profile: "hardened",
        ffmpeg: "ffmpeg",
        multicast: false,
      }),
      new Simulator({
        baseIp: "127.0.47.43",
        cameras: 1,
        profile: "hardened",
        ffmpeg: "ffmpeg",
        multicast: false,
      }),
    ];
    for (const sim of sims) {
      await sim.start();
      defer(t, () => sim.stop());
    }
    const [a, b] = sims.map((sim) => sim.describe()[0]!);
    assert.equal(a!.urn, b!.urn);
    const { agent, store, config, discovery, recorder } = await agentFor(t, dir, "127.0.47.40/29", {
      recorder: true,
    });
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const round = await discovery.runOnce();
    assert.equal(round.pending, 2, JSON.stringify(round));
    const rows = store.repos.cameras.list();
    assert.equal(rows.length, 2);
    for (const device of [a!, b!]) {
      const row = rows.find((c) => c.ip === device.address)!;
      await approve(config, row.id, {
        username: device.username,
        password: device.password,
      });
    }
    await waitFor(
      "both recording",
      () =>
        [...(recorder?.processes().values() ?? [])].filter((pid) => pid !== undefined).length === 2,
      60_000,
    );
    await waitFor(
      "a segment from each",
      () => rows.every((row) => store.repos.segments.span(row.id) !== undefined),
      90_000,
    );
  });
});
