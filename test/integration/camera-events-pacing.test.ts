import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CameraEventService } from "../../src/camera-events/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { SimCamera } from "../../src/sim/index.js";
import { approvedSite } from "../helpers/event-site.js";
import { waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer } from "../helpers/temp.js";

const PULL_INTERVAL_MS = 500;

function pullTimes(camera: SimCamera): number[] {
  return camera.journal
    .entries()
    .filter((entry) => entry.operation === "PullMessages")
    .map((entry) => entry.tsMs);
}

async function subscribedSite(t: Parameters<typeof approvedSite>[0], maxPerMinute?: number) {
  const sim = await hardenedCameras(t, "127.0.158.10", 1, {
    override: () => ({ events: { flavour: "hikvision" as const } }),
  });
  const { store, vault, bus, log, ids } = await approvedSite(t, sim.describe());
  const [cameraId] = ids;
  const commits: number[] = [];
  log.alongside((events) => commits.push(events.length));
  const service = new CameraEventService({
    store,
    vault: { vault },
    bus,
    log,
    logger: silentLogger(),
    timing: { pullWaitMs: 2000, pullIntervalMs: PULL_INTERVAL_MS, callTimeoutMs: 3000 },
    ...(maxPerMinute === undefined ? {} : { maxPerMinute }),
  });
  const startedMs = Date.now();
  await service.start(new AbortController().signal);
  defer(t, () => service.stop());
  const camera = sim.cameras[0]!;
  await waitFor("a PullMessages long poll", () => pullTimes(camera).length > 0, 20_000);
  const motion = () =>
    store.repos.events.list({ cameraId: cameraId! }).filter((event) => event.kind === "motion");
  return { store, camera, cameraId: cameraId!, commits, motion, startedMs };
}

/** Turns the camera's motion on and off `changes` times, `gapMs` apart. */
async function flicker(camera: SimCamera, changes: number, gapMs: number): Promise<void> {
  for (let n = 0; n < changes; n++) {
    camera.events!.set("motion", n % 2 === 0);
    await sleep(gapMs);
  }
}

describe("camera events: a busy camera", () => {
  it("is asked at most every pullInterval: its changes come several to a reply, each reply stored in one commit, none lost", async (t) => {
    const { camera, commits, motion, startedMs } = await subscribedSite(t);
    const changes = 40;
    await flicker(camera, changes, 25);
    await waitFor("every change stored", () => motion().length === changes, 20_000);

    const stored = motion().reverse();
    assert.deepEqual(
      stored.map((event) => event.detail["phase"]),
      Array.from({ length: changes }, (_, n) => (n % 2 === 0 ? "start" : "end")),
      "each change once, in order",
    );
    // Every pull was sent after the service started and before now, each at least
    // PULL_INTERVAL_MS after the one before: however slow the machine, no more than this.
    const elapsedMs = Date.now() - startedMs;
    const pulls = pullTimes(camera).length;
    assert.ok(
      pulls <= Math.floor(elapsedMs / PULL_INTERVAL_MS) + 1,
      `${pulls} pulls in ${elapsedMs} ms`,
    );
    assert.equal(
      commits.reduce((sum, count) => sum + count, 0),
      changes,
    );
    assert.ok(
      commits.length < changes,
      `${changes} changes in ${commits.length} commits: several to a reply`,
    );
  });

  it("past events.maxPerMinute, records no more and is not asked again before its minute is over", async (t) => {
    const limit = 6;
    const { camera, motion } = await subscribedSite(t, limit);
    await flicker(camera, 20, 25);
    await waitFor("the limit reached", () => motion().length === limit, 20_000);
    const pulls = pullTimes(camera).length;
    // Long enough for several more pulls were the camera not held back.
    await sleep(4 * PULL_INTERVAL_MS);
    assert.equal(motion().length, limit, "nothing past the limit is stored");
    assert.equal(pullTimes(camera).length, pulls, "the camera is not asked again this minute");
  });
});
