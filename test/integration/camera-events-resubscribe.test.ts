import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CameraEventService } from "../../src/camera-events/index.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import type { SimCamera, Simulator } from "../../src/sim/index.js";
import { type EventRecord, Store } from "../../src/store/index.js";
import { waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";

const TWO_HOURS_MS = 2 * 3_600_000;
/** GetSystemDateAndTime has whole seconds: a measured clock offset is within 1 s. */
const CLOCK_RESOLUTION_MS = 1000;

function requests(camera: SimCamera, operation: string): number {
  return camera.journal.entries().filter((entry) => entry.operation === operation).length;
}

/** Every simulated camera approved in a fresh store, its credentials in the vault. */
async function approvedSite(t: Parameters<typeof tempDir>[0], sim: Simulator) {
  const dir = await tempDir(t);
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  await store.start(new AbortController().signal);
  defer(t, () => store.stop());
  const vault = new CredentialVault(store.repos, await SecretSealer.open(join(dir, "seal.key")));
  const ids = sim.describe().map((camera, index) => {
    const id = `cam-${index}`;
    store.repos.cameras.upsert(
      {
        id,
        urn: camera.urn,
        mac: camera.mac,
        ip: camera.address,
        xaddrs: [camera.xaddr],
        manufacturer: null,
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: id,
        profiles: [],
        clockOffsetMs: null,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    vault.setForCamera(id, { username: camera.username, password: camera.password });
    return id;
  });
  const bus = new EventBus<AgentEvents>(() => undefined);
  return { store, vault, bus, log: new EventLog(store, bus, silentLogger()), ids };
}

describe("camera events: a pull point that ends is followed by a new one", () => {
  it("speaks WS-Addressing to the subscription manager, subscribes again after an expiry, a reboot and a clock jump without a report, loses no change, and keeps an object's class and plate", async (t) => {
    const sim = await hardenedCameras(t, "127.0.130.10", 3, {
      override: (index) =>
        [
          // Renew is answered but extends nothing: the subscription expires.
          { events: { flavour: "hikvision" as const, renewIgnored: true } },
          { events: { flavour: "dahua" as const } },
          { events: { flavour: "hikvision" as const } },
        ][index],
    });
    const { store, vault, bus, log, ids } = await approvedSite(t, sim);
    const service = new CameraEventService({
      store,
      vault: { vault },
      bus,
      log,
      logger: silentLogger(),
      timing: {
        pullWaitMs: 1000,
        terminationMs: 6000,
        callTimeoutMs: 3000,
        retryInitialMs: 200,
        retryMaxMs: 1500,
      },
    });
    await service.start(new AbortController().signal);
    defer(t, () => service.stop());
    const [expiring, rebooting, jumping] = sim.cameras as [SimCamera, SimCamera, SimCamera];
    const [expiringId, rebootingId, jumpingId] = ids as [string, string, string];
    const eventsOf = (id: string): EventRecord[] => store.repos.events.list({ cameraId: id });
    const changes = (id: string) =>
      eventsOf(id)
        .reverse()
        .filter((event) => !event.kind.startsWith("camera_events"));
    const subscriptions = (camera: SimCamera) => requests(camera, "CreatePullPointSubscription");
    for (const camera of sim.cameras)
      await waitFor("a PullMessages long-poll", () => requests(camera, "PullMessages") > 0, 20_000);

    // Expiry: the first pull point runs out; a second one is made, and events still come.
    await waitFor("a second subscription", () => subscriptions(expiring) >= 2, 30_000);
    await waitFor("pulling again", () => expiring.events!.subscriptionCount === 1, 20_000);
    const before = Date.now();
    expiring.events!.object("LicensePlate", "30A-123.45");
    expiring.events!.object("Human");
    await waitFor("two objects", () => changes(expiringId).length >= 2, 20_000);
    const objects = changes(expiringId);
    assert.deepEqual(
      objects.map((event) => [event.kind, event.detail["phase"], event.detail["object"]]),
      [
        ["object", "pulse", { class: "plate", text: "30A-123.45" }],
        ["object", "pulse", { class: "human" }],
      ],
    );
    assert.ok(objects[0]!.tsMs >= before - CLOCK_RESOLUTION_MS);

    // A reboot that drops the pull point while the camera stays reachable; motion starts while
    // no subscription exists: the new one's synchronization point tells it.
    const rebootSubscriptions = subscriptions(rebooting);
    const rebootedMs = Date.now();
    rebooting.events!.dropSubscriptions();
    rebooting.events!.set("motion", true);
    await waitFor("motion after the reboot", () => changes(rebootingId).length >= 1, 20_000);
    assert.ok(subscriptions(rebooting) > rebootSubscriptions);
    rebooting.events!.set("motion", false);
    await waitFor("motion ended", () => changes(rebootingId).length >= 2, 20_000);
    const [start, end] = changes(rebootingId);
    assert.deepEqual(
      [start?.kind, start?.detail["phase"], end?.kind, end?.detail["phase"]],
      ["motion", "start", "motion", "end"],
    );
    assert.ok(start!.tsMs >= rebootedMs - CLOCK_RESOLUTION_MS);
    assert.equal(end!.detail["durationMs"], end!.tsMs - start!.tsMs);

    // The camera's clock jumps two hours: a fresh subscription, a fresh offset.
    const jumpSubscriptions = subscriptions(jumping);
    jumping.state.clockSkewMs = TWO_HOURS_MS;
    await waitFor(
      "subscribed after the jump",
      () => subscriptions(jumping) > jumpSubscriptions,
      20_000,
    );
    await waitFor("pulling again", () => jumping.events!.subscriptionCount === 1, 20_000);
    const jumpedMs = Date.now();
    jumping.events!.set("intrusion", true);
    const afterMs = Date.now();
    await waitFor("the intrusion", () => changes(jumpingId).length >= 1, 20_000);
    const intrusion = changes(jumpingId)[0]!;
    assert.equal(intrusion.kind, "intrusion");
    assert.ok(
      intrusion.tsMs >= jumpedMs - CLOCK_RESOLUTION_MS &&
        intrusion.tsMs <= afterMs + CLOCK_RESOLUTION_MS,
      `corrected time ${intrusion.tsMs} within ${jumpedMs}..${afterMs}`,
    );

    // Each new pull point is synchronized; nothing of this was a failure to report.
    for (const camera of sim.cameras)
      assert.ok(requests(camera, "SetSynchronizationPoint") >= subscriptions(camera));
    for (const id of ids)
      assert.deepEqual(
        eventsOf(id).filter((event) => event.kind.startsWith("camera_events")),
        [],
        id,
      );
    await service.stop();
    for (const camera of sim.cameras)
      assert.equal(camera.events!.subscriptionCount, 0, "unsubscribed on stop");
  });
});
