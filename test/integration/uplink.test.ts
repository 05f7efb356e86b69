import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText, type Config } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { type Store } from "../../src/store/index.js";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { UplinkSession } from "../../src/uplink/index.js";
import { packageVersion } from "../../src/version.js";
import {
  AsyncApiContract,
  keptPayloads,
  payloadProblems,
  payloadValidators,
} from "../helpers/asyncapi.js";
import { CommandClient } from "../helpers/commands.js";
import { type Identity, TestBroker, TestPki } from "../helpers/mosquitto.js";
import { seedCameras, waitFor } from "../helpers/recording.js";
import { factoryPasswordCameras, setSiteDefaultCredentials } from "../helpers/site.js";
import { tempDir, defer } from "../helpers/temp.js";
import {
  recordWire,
  startCenter,
  uplinkLines,
  uplinkWorld,
  type UplinkWorld,
} from "../helpers/uplink.js";

interface Kept {
  msgId?: string;
  verified?: boolean;
  payload: Record<string, unknown>;
}

async function kept(file: string): Promise<Kept | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as Kept);
}

async function keptLines(file: string): Promise<Kept[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Kept);
}

function boxConfig(dir: string, siteId: string, lines: string[]): Config {
  return parseConfigText(
    [
      `site: {id: ${siteId}}`,
      `store: {path: ${join(dir, `${siteId}.db`)}}`,
      `secrets: {keyFile: ${join(dir, `${siteId}-seal.key`)}}`,
      `storage: {dir: ${join(dir, "recordings")}}`,
      ...lines,
    ].join("\n"),
    "test.yaml",
    {},
  );
}

/** Connects once with the given TLS identity; resolves with the error, or undefined if accepted. */
async function connectError(
  world: UplinkWorld,
  clientId: string,
  identity: Partial<Identity> & { ca?: string },
): Promise<Error | undefined> {
  const client = mqtt.connect(world.broker.url, {
    protocolVersion: 5,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ca: await readFile(identity.ca ?? world.pki.ca, "utf8"),
    ...(identity.cert ? { cert: await readFile(identity.cert, "utf8") } : {}),
    ...(identity.key ? { key: await readFile(identity.key, "utf8") } : {}),
    rejectUnauthorized: true,
  });
  return new Promise((resolve) => {
    client.once("connect", () => {
      client.end(true);
      resolve(undefined);
    });
    client.once("error", (error) => {
      client.end(true);
      resolve(error);
    });
    client.once("close", () => resolve(new Error("closed before CONNACK")));
  });
}

function agentStore(agent: Agent): Store {
  return agent.components.find((c) => c.name === "store") as Store;
}

/** Indexes a segment (of `bytes`, which tells the entries apart) as the recorder does. */
function closeSegment(agent: Agent, cameraId: string, dir: string, bytes: number): void {
  const startMs = Date.now() + bytes * 10_000;
  const segment = agentStore(agent).repos.segments.insert({
    cameraId,
    path: join(dir, `segment-${bytes}.ts`),
    startMs,
    endMs: startMs + 10_000,
    bytes,
    sha256: "ab".repeat(32),
    state: "closed",
  });
  agent.bus.emit("segmentClosed", { segment });
}

/** A session of site-a alone, with no outbox or publishers: the connection and nothing else. */
function bareSession(config: Config, bus: EventBus<AgentEvents>): UplinkSession {
  const will = { topic: "camgate/v1/site-a/status", payload: "{}", options: { qos: 1 as const } };
  return new UplinkSession({
    config: config.uplink,
    clientId: "camgate-site-a",
    will: () => will,
    birth: () => will,
    maxIncomingBytes: 64 * 1024,
    bus,
    logger: silentLogger(),
  });
}

describe("uplink to a real mosquitto with mutual TLS", () => {
  it("a box is heard: status, health, inventory, state, signed audits, events, segments", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const centerDir = join(dir, "center");
    const center = await startCenter(t, world, centerDir);
    const wire = await recordWire(t, world);
    await factoryPasswordCameras(t, "127.0.40.1", 2);
    const box = await world.pki.issue("site-a");
    const config = boxConfig(dir, "site-a", [
      // A lab: every device found is approved at once and gets the site default.
      "discovery: {multicast: false, cidrs: [127.0.40.0/30], probeTimeout: 1s, autoApprove: true}",
      "audit: {interval: 5s, credentialTrySpacing: 100ms}",
      // The segments below are index entries only, with no files to forward.
      "recorder: {enabled: false, forward: off}",
      uplinkLines(world, box),
    ]);
    await setSiteDefaultCredentials(config);

    const agent = Agent.fromConfig(config, silentLogger());
    const audited = new Set<string>();
    agent.bus.on("auditCompleted", ({ cameraId }) => audited.add(cameraId));
    await agent.start(new AbortController().signal);
    let stopped = false;
    defer(t, () => (stopped ? undefined : agent.stop()));
    const site = join(centerDir, "site-a");

    await waitFor(
      "status online at the center",
      async () => {
        return (await kept(join(site, "status.json")))?.payload["state"] === "online";
      },
      30_000,
    );
    // A command and its reply; it lands in the access log, which is published too.
    const commands = await CommandClient.connect(t, world);
    const status = await commands.send("site-a", "status.get", {});
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal((status.result?.["uplink"] as { connected: boolean }).connected, true);
    await waitFor("both cameras audited", () => audited.size === 2, 120_000);
    const store = agentStore(agent);
    const cameraIds = store.repos.cameras.list().map((camera) => camera.id);
    assert.equal(cameraIds.length, 2);
    for (const cameraId of cameraIds) {
      const folder = join(site, "cameras", cameraId);
      await waitFor(
        `${cameraId}: info, state and a verified audit`,
        async () => {
          const [info, state, audit] = await Promise.all(
            ["info", "state", "audit"].map((name) => kept(join(folder, `${name}.json`))),
          );
          return (
            info?.payload["manufacturer"] === "CamgateSim" &&
            state?.payload["reachable"] === true &&
            audit?.verified === true
          );
        },
        60_000,
      );
      const audit = await kept(join(folder, "audit.json"));
      assert.equal(audit?.payload["signed"], true);
      const info = await kept(join(folder, "info.json"));
      assert.ok(
        !JSON.stringify(info).includes("rtsp://"),
        "stream addresses (and any credentials in them) stay on the box",
      );
    }

    // Events and segment-index entries, produced the way the recorder produces them.
    const events = new EventLog(store, agent.bus, silentLogger());
    const [first] = cameraIds;
    events.record("camera_offline", first!, { reason: "test" });
    events.record("recording_resumed", first!, {});
    events.record("storage_over_quota", null, { needBytes: 1 });
    for (let index = 0; index < 3; index++) closeSegment(agent, first!, dir, 1000 + index);
    const cameraFolder = join(site, "cameras", first!);
    await waitFor(
      "events and segments at the center",
      async () => {
        const [cameraEvents, boxEvents, segments] = await Promise.all([
          keptLines(join(cameraFolder, "events.jsonl")),
          keptLines(join(site, "events.jsonl")),
          keptLines(join(cameraFolder, "segments.jsonl")),
        ]);
        return cameraEvents.length === 2 && boxEvents.length === 1 && segments.length === 3;
      },
      30_000,
    );
    const segments = await keptLines(join(cameraFolder, "segments.jsonl"));
    assert.deepEqual(
      segments.map((entry) => entry.payload["bytes"]),
      [1000, 1001, 1002],
    );
    assert.ok(segments.every((entry) => /^[0-9a-f]+-\d+$/.test(entry.msgId ?? "")));
    await waitFor(
      "a health report",
      async () => {
        return (await keptLines(join(site, "health.jsonl"))).length > 0;
      },
      30_000,
    );
    const [health] = await keptLines(join(site, "health.jsonl"));
    const figures = health!.payload as {
      uplink: { connected: boolean };
      memory: unknown;
      disk: unknown;
      certificate: { daysLeft: number; subject: string };
      software: { version: string; node: string; lastUpdate: unknown };
    };
    assert.equal(figures.uplink.connected, true);
    assert.ok(figures.memory, "system figures from systeminformation");
    assert.equal(figures.disk, null, "no recorder, no recordings folder: the rest still reported");
    assert.match(figures.certificate.subject, /CN=site-a/);
    assert.ok(figures.certificate.daysLeft > 300, "the box certificate's days left");
    assert.deepEqual(
      figures.software,
      { version: packageVersion(), node: process.versions.node, lastUpdate: null },
      "what the box runs; no update recorded yet",
    );

    const report = await agent.stop();
    stopped = true;
    assert.deepEqual(report.failures, []);
    await waitFor(
      "status offline after a clean stop",
      async () => {
        return (await kept(join(site, "status.json")))?.payload["state"] === "offline";
      },
      30_000,
    );

    // Every payload the center kept conforms to docs/asyncapi.yaml, and every family was seen.
    const validators = await payloadValidators();
    const payloads = await keptPayloads(centerDir);
    const problems = payloads.flatMap((payload) =>
      payloadProblems(validators, payload).map((p) => `${String(payload["schema"])}: ${p}`),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      [...new Set(payloads.map((payload) => payload["schema"]))].sort(),
      // Certificate renewal's request and answer: test/integration/cert-renewal.test.ts.
      [...validators.keys()].filter((id) => !id.startsWith("camgate.cert-")).sort(),
    );
    assert.equal(center.summary().refused, 0);
    // And every message as it went over the wire: headers, content type, QoS, retain, expiry.
    const contract = await AsyncApiContract.load();
    const sent = wire.filter((message) => !message.topic.includes("/cmd/"));
    assert.deepEqual(
      sent.flatMap((message) => contract.problems(message)),
      [],
    );
    assert.deepEqual(
      [...new Set(sent.map((message) => contract.channelOf(message.topic)))].sort(),
      [
        "access",
        "boxEvents",
        "cameraAudit",
        "cameraEvents",
        "cameraInfo",
        "cameraSegments",
        "cameraState",
        "health",
        "replies",
        "status",
      ],
    );
  });

  it("the broker refuses no certificate, another CA, an expired one and another site's root", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const rogue = await TestPki.create(dir, "rogue CA");
    const day = 24 * 3600 * 1000;
    const cases: [string, Partial<Identity>, RegExp][] = [
      ["no-certificate", {}, /peer did not return a certificate/],
      ["other-ca", await rogue.issue("site-x"), /certificate verify failed/],
      [
        "expired",
        await world.pki.issue("site-old", {
          notBefore: new Date(Date.now() - 400 * day),
          notAfter: new Date(Date.now() - 35 * day),
        }),
        /certificate verify failed/,
      ],
    ];
    for (const [name, identity, brokerSays] of cases) {
      const before = (await world.broker.log()).length;
      const error = await connectError(world, `probe-${name}`, identity);
      assert.ok(error, `${name}: refused`);
      await waitFor(
        `${name}: the broker's refusal in its log`,
        async () => {
          return brokerSays.test((await world.broker.log()).slice(before));
        },
        10_000,
      );
      assert.ok(
        !(await world.broker.log()).slice(before).includes(`as probe-${name}`),
        `${name}: never became a client`,
      );
    }

    // A genuine box may not speak for another site: the broker says no (PUBACK 0x87).
    const box = await world.pki.issue("site-a");
    const material = await readTlsMaterial(
      boxConfig(dir, "site-a", [uplinkLines(world, box)]).uplink,
    );
    const client = await mqtt.connectAsync(world.broker.url, {
      protocolVersion: 5,
      clientId: "camgate-site-a",
      reconnectPeriod: 0,
      ...tlsOptions(new URL(world.broker.url), material),
    });
    defer(t, () => client.endAsync());
    await client.publishAsync("camgate/v1/site-a/events", "{}", { qos: 1 });
    await assert.rejects(
      client.publishAsync("camgate/v1/site-b/status", "{}", { qos: 1 }),
      (error: Error & { code?: number }) => error.code === 0x87,
    );
    await waitFor(
      "the broker's denial in its log",
      async () => {
        const log = await world.broker.log();
        return /Denied PUBLISH from site-a \(d0, q1, r0, m\d+, 'camgate\/v1\/site-b\/status'/.test(
          log,
        );
      },
      10_000,
    );
  });

  it("the box refuses a broker with a certificate for another name or from another CA", async (t) => {
    const dir = await tempDir(t);
    const pki = await TestPki.create(dir);
    const rogue = await TestPki.create(dir, "rogue CA");
    const box = await pki.issue("site-a");
    const cases: [string, TestPki, string[], RegExp][] = [
      ["wrong-name", pki, ["wrong.example"], /altnames|does not match/i],
      ["other-ca", rogue, ["127.0.0.1", "localhost"], /unable to verify|self.signed/i],
    ];
    for (const [name, authority, altNames, boxSays] of cases) {
      const brokerDir = join(dir, name);
      await mkdir(brokerDir);
      const server = await authority.issue(`broker-${name}`, { usage: "server", altNames });
      const broker = await TestBroker.start(t, { dir: brokerDir, ca: pki.ca, server });
      const world = { dir, pki, broker, centerIdentity: box, commandsIdentity: box };
      const config = boxConfig(dir, "site-a", [uplinkLines(world, box)]);
      const bus = new EventBus<AgentEvents>(() => undefined);
      const connected: boolean[] = [];
      bus.on("uplinkState", ({ connected: up }) => connected.push(up));
      const session = bareSession(config, bus);
      await session.start(new AbortController().signal);
      defer(t, () => session.stop());
      await waitFor(
        `${name}: the box gives up on the broker`,
        () => {
          return session.status().lastError !== null;
        },
        20_000,
      );
      assert.match(session.status().lastError ?? "", boxSays);
      assert.deepEqual(connected, [], `${name}: never connected`);
      assert.equal(session.status().connects, 0);
      await session.stop();
    }
  });

  it("a session stopped while it connects ends cleanly, even when the broker accepts it after", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const box = await world.pki.issue("site-a");
    const config = boxConfig(dir, "site-a", [uplinkLines(world, box)]);
    const states: boolean[] = [];
    const bus = new EventBus<AgentEvents>(() => undefined);
    bus.on("uplinkState", ({ connected }) => states.push(connected));
    // Stopped at once, the TLS handshake and the CONNACK still on their way: what the agent does
    // when a later component fails to start. It used to publish on the ended client and crash.
    for (let round = 0; round < 5; round++) {
      const session = bareSession(config, bus);
      await session.start(new AbortController().signal);
      const stopping = Date.now();
      await session.stop();
      assert.equal(session.status().lastError, null, "a stop is not a link failure");
      // A graceful end of a connection still being made waits out the 20 s connect timeout.
      assert.ok(Date.now() - stopping < 10_000, `stopped in ${Date.now() - stopping} ms`);
    }
    await sleep(500); // a late CONNACK would arrive now
    assert.deepEqual(states, []);
  });

  it("a full outbox drops the oldest segment entries first and says so once the link is back", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    await world.broker.stop();
    const box = await world.pki.issue("site-full");
    const config = boxConfig(dir, "site-full", [
      "discovery: {enabled: false}",
      "audit: {enabled: false}",
      // Index entries only, with no files to forward.
      "recorder: {enabled: false, forward: off}",
      uplinkLines(world, box, ", outbox: {maxMessages: 100}"),
    ]);
    await seedCameras(config, [
      { id: "cam-1", ip: "127.0.40.9", streamUri: "rtsp://127.0.40.9/main" },
    ]);
    const agent = Agent.fromConfig(config, silentLogger());
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const store = agentStore(agent);
    const events = new EventLog(store, agent.bus, silentLogger());
    // Link down: 2 inventory messages (priority 3), 80 segment entries (4), 60 events (2).
    for (let index = 0; index < 80; index++) {
      closeSegment(agent, "cam-1", dir, 5000 + index);
      if (index < 60) events.record("camera_offline", "cam-1", { reason: `outage ${index}` });
    }
    assert.deepEqual(store.repos.outbox.stats().count, 100);
    assert.equal(store.repos.outbox.droppedSoFar(), 42, "the 42 oldest of the lowest priority");

    const centerDir = join(dir, "center");
    await world.broker.resume();
    await startCenter(t, world, centerDir);
    const site = join(centerDir, "site-full");
    const folder = join(site, "cameras", "cam-1");
    await waitFor(
      "the loss reported and everything else delivered",
      async () => {
        const [boxEvents, segments, cameraEvents] = await Promise.all([
          keptLines(join(site, "events.jsonl")),
          keptLines(join(folder, "segments.jsonl")),
          keptLines(join(folder, "events.jsonl")),
        ]);
        return (
          boxEvents.some((entry) => entry.payload["kind"] === "outbox_dropped") &&
          segments.length >= 38 &&
          cameraEvents.length >= 60
        );
      },
      60_000,
    );
    await waitFor("the outbox drained", () => store.repos.outbox.stats().count === 0, 30_000);
    const segments = await keptLines(join(folder, "segments.jsonl"));
    assert.deepEqual(
      segments.map((entry) => entry.payload["bytes"]),
      Array.from({ length: 38 }, (_, index) => 5000 + 42 + index),
      "the newest 38 segment entries, in order",
    );
    const cameraEvents = await keptLines(join(folder, "events.jsonl"));
    assert.equal(cameraEvents.length, 60, "no event was dropped");
    assert.ok(await kept(join(folder, "info.json")), "inventory kept");
    const [dropped] = (await keptLines(join(site, "events.jsonl"))).filter(
      (entry) => entry.payload["kind"] === "outbox_dropped",
    );
    assert.equal((dropped!.payload["detail"] as { messages: number }).messages, 42);
  });
});
