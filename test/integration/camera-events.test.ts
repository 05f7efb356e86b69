import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import { CameraEventService } from "../../src/camera-events/index.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import type { SimCamera, SimEventKind } from "../../src/sim/index.js";
import { type EventRecord, Store } from "../../src/store/index.js";
import { UplinkPublishers } from "../../src/uplink/index.js";
import { approveCameras } from "../helpers/inventory.js";
import { recorderConfig, seedCameras, waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";
import { uplinkParts } from "../helpers/uplink-parts.js";

const TWO_HOURS_MS = 2 * 3_600_000;
/** GetSystemDateAndTime has whole seconds: the measured clock offset is within 1 s. */
const CLOCK_RESOLUTION_MS = 1000;

function requests(camera: SimCamera, operation: string): number {
  return camera.journal.entries().filter((entry) => entry.operation === operation).length;
}

describe("camera events over ONVIF PullPoint", () => {
  it("every state change of both flavours is stored once, in order, as intervals on the box's clock; broken event services are reported once and bounded", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    const publishers = new UplinkPublishers({
      store: parts.store,
      outbox: parts.outbox,
      topics: parts.topics,
      bus: parts.bus,
      events: parts.events,
      recording: false,
      certificate: () => undefined,
      logger: silentLogger(),
    });
    await publishers.start(new AbortController().signal);
    defer(t, () => publishers.stop());
    parts.link.up();
    const sim = await hardenedCameras(t, "127.0.56.10", 6, {
      override: (index) =>
        [
          { events: { flavour: "hikvision" as const }, clockSkewMs: TWO_HOURS_MS },
          { events: { flavour: "dahua" as const }, clockSkewMs: -90_000 },
          { events: { flavour: "hikvision" as const, misbehave: "fault" as const } },
          { events: false as const },
          { events: { flavour: "dahua" as const, misbehave: "garbage" as const } },
          { events: { flavour: "dahua" as const, misbehave: "oversize" as const } },
        ][index],
    });
    const { store } = parts;
    const repos = store.repos;
    const vault = new CredentialVault(repos, await SecretSealer.open(join(parts.dir, "seal.key")));
    const ids = approveCameras(repos, vault, sim.describe());
    const service = new CameraEventService({
      store,
      vault: { vault },
      bus: parts.bus,
      log: parts.events,
      logger: silentLogger(),
      timing: {
        pullWaitMs: 1000,
        terminationMs: 6000,
        callTimeoutMs: 3000,
        retryInitialMs: 200,
        retryMaxMs: 1500,
      },
    });
    const startedMs = Date.now();
    await service.start(new AbortController().signal);
    defer(t, () => service.stop());
    const [hik, dahua, faulty, none, garbage, oversize] = sim.cameras as [
      SimCamera,
      SimCamera,
      SimCamera,
      SimCamera,
      SimCamera,
      SimCamera,
    ];
    const eventsOf = (cameraId: string): EventRecord[] => repos.events.list({ cameraId }).reverse();
    const cameraEvents = (cameraId: string) =>
      eventsOf(cameraId).filter((event) => !event.kind.startsWith("camera_events"));

    for (const camera of [hik, dahua])
      await waitFor("a PullMessages long-poll", () => requests(camera, "PullMessages") > 0, 20_000);

    // Each flavour: motion, tamper, intrusion on and off; a reboot while motion is on.
    const windows = new Map<string, { before: number; after: number }>();
    const toggle = async (camera: SimCamera, id: string, kind: SimEventKind, on: boolean) => {
      const count = cameraEvents(id).length;
      const before = Date.now();
      camera.events!.set(kind, on);
      windows.set(`${id} ${kind} ${on}`, { before, after: Date.now() });
      await waitFor(`${id} ${kind} ${on}`, () => cameraEvents(id).length > count, 20_000);
    };
    for (const [camera, id] of [
      [hik, ids[0]!],
      [dahua, ids[1]!],
    ] as const) {
      await toggle(camera, id, "motion", true);
      // The camera reboots: its pull point is gone; the motion it still sees is no new start.
      const subscribed = requests(camera, "CreatePullPointSubscription");
      await camera.stop();
      await camera.start();
      await waitFor(
        `${id} subscribed again`,
        () => requests(camera, "CreatePullPointSubscription") > subscribed,
        20_000,
      );
      camera.events!.set("motion", true);
      await toggle(camera, id, "motion", false);
      for (const kind of ["tamper", "intrusion"] as const) {
        await toggle(camera, id, kind, true);
        await toggle(camera, id, kind, false);
      }
    }
    // A subscription lives 6 s and is renewed with a third left.
    await waitFor("a renewal", () => requests(hik, "Renew") > 0, 20_000);

    for (const [id, topics] of [
      [ids[0]!, ["tns1:RuleEngine/CellMotionDetector/Motion", "IsMotion"]],
      [ids[1]!, ["tns1:VideoSource/MotionAlarm", "State"]],
    ] as const) {
      const events = cameraEvents(id);
      assert.deepEqual(
        events.map((event) => `${event.kind} ${String(event.detail["phase"])}`),
        [
          "motion start",
          "motion end",
          "tamper start",
          "tamper end",
          "intrusion start",
          "intrusion end",
        ],
      );
      assert.equal(events[0]!.detail["topic"], topics[0]);
      assert.deepEqual(events[0]!.detail["data"], { [topics[1]]: "true" });
      for (const [index, event] of events.entries()) {
        const phase = event.detail["phase"] === "start";
        const window = windows.get(`${id} ${event.kind} ${phase}`)!;
        assert.ok(
          event.tsMs >= window.before - CLOCK_RESOLUTION_MS &&
            event.tsMs <= window.after + CLOCK_RESOLUTION_MS,
          `${id} ${event.kind}: corrected time ${event.tsMs} within ${window.before}..${window.after}`,
        );
        if (!phase) {
          const start = events[index - 1]!;
          assert.equal(event.detail["durationMs"], event.tsMs - start.tsMs);
          assert.equal(event.detail["startedAt"], new Date(start.tsMs).toISOString());
        }
      }
    }
    const hikStart = cameraEvents(ids[0]!)[0]!;
    assert.ok(
      Math.abs(Number(hikStart.detail["clockOffsetMs"]) - TWO_HOURS_MS) <= CLOCK_RESOLUTION_MS,
    );

    // Broken event services: each reported once, retried with backoff, never in a storm.
    const broken = [
      [faulty, ids[2]!, "fault", "CreatePullPointSubscription"],
      [none, ids[3]!, "no-event-service", "GetServices"],
      [garbage, ids[4]!, "malformed", "PullMessages"],
      [oversize, ids[5]!, "too-large", "PullMessages"],
    ] as const;
    for (const [camera, , , operation] of broken)
      await waitFor(`${operation} tried again`, () => requests(camera, operation) >= 3, 30_000);
    for (const [, id, reason] of broken) {
      const reports = eventsOf(id);
      assert.deepEqual(
        reports.map((event) => [event.kind, event.detail["reason"]]),
        [["camera_events_unavailable", reason]],
        id,
      );
    }
    // A pull point that failed is given back, not left to fill the camera's slots.
    for (const camera of [garbage, oversize])
      assert.ok(camera.events!.subscriptionCount <= 1, "failed pull points are unsubscribed");
    // Backoff with equal jitter: never sooner than half the step, the step capped at 1.5 s.
    const bound = 5 + (Date.now() - startedMs) / 750;
    for (const [camera, id, , operation] of broken)
      assert.ok(
        requests(camera, operation) <= bound,
        `${id}: ${requests(camera, operation)} tries`,
      );

    await service.stop();
    assert.deepEqual(service.cameras(), []);
    assert.equal(hik.events!.subscriptionCount, 0, "unsubscribed on stop");
    assert.equal(dahua.events!.subscriptionCount, 0, "unsubscribed on stop");

    // Upstream: every stored event once, in order, on the camera's events topic.
    for (const id of ids) {
      const topic = parts.topics.camera(id, "events");
      const stored = eventsOf(id).map((event) => [event.id, event.kind, event.detail["phase"]]);
      await waitFor(`${id} upstream`, () => parts.link.on(topic).length >= stored.length, 20_000);
      assert.deepEqual(
        parts.link.on(topic).map((message) => {
          const body = JSON.parse(message.payload.toString()) as {
            id: number;
            kind: string;
            detail: Record<string, unknown>;
          };
          return [body.id, body.kind, body.detail["phase"]];
        }),
        stored,
        id,
      );
    }
  });
  it("the agent subscribes to an approved camera's events with the vault's credentials, and not to a pending one", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.56.30", 2);
    const [approved, pending] = sim.describe();
    const config = recorderConfig(dir, [
      "recorder: {enabled: false}",
      "events: {pullWait: 1s, subscriptionTime: 30s}",
    ]);
    await seedCameras(config, [
      {
        id: "cam-approved",
        ip: approved!.address,
        streamUri: approved!.streams[0]!,
        xaddr: approved!.xaddr,
        credentials: { username: approved!.username, password: approved!.password },
      },
    ]);
    const store = new Store(config.store.path, silentLogger());
    store.open().cameras.upsert({
      id: "cam-pending",
      urn: pending!.urn,
      mac: null,
      ip: pending!.address,
      xaddrs: [pending!.xaddr],
      manufacturer: null,
      model: null,
      firmware: null,
      serial: null,
      hardware: null,
      name: null,
      profiles: [],
      clockOffsetMs: null,
      lastSeenMs: Date.now(),
      reachable: true,
    });
    store.close();
    const agent = Agent.fromConfig(config, silentLogger());
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const [camera, other] = sim.cameras as [SimCamera, SimCamera];
    await waitFor("a PullMessages long-poll", () => requests(camera, "PullMessages") > 0, 20_000);
    camera.events!.set("intrusion", true);
    const agentStore = agent.components.find((c) => c.name === "store") as Store;
    await waitFor(
      "the intrusion stored",
      () =>
        agentStore.repos.events.list({ cameraId: "cam-approved", kind: "intrusion" }).length > 0,
      20_000,
    );
    await agent.stop();
    assert.equal(camera.events!.subscriptionCount, 0, "unsubscribed when the agent stops");
    assert.equal(
      other.journal.entries().length,
      0,
      "a device nobody approved is never called, let alone sent a credential",
    );
  });
});
