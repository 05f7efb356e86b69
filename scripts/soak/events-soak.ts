// Camera-event soak (issue 26 acceptance): the real daemon (camgate run) with 8 simulated
// cameras of both event flavours (one with its clock 2 h off) whose motion, tamper and
// intrusion detectors change at random, mosquitto with mutual TLS and the reference center;
// cameras reboot and the broker is down for 2 minutes in between. At the end, every change must
// be at the center exactly once, in order per camera, with start/end as made, the duration of
// each interval, and the camera's time corrected within 1 s. Prints the table; exits 1 if any
// invariant is broken.
// Usage: node dist/scripts/soak/events-soak.js [--minutes 10] [--seed N] [--cameras 8]
//          [--base-ip 127.0.130.100] [--outage-seconds 120] [--dir DIR] [--keep]
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { seededRandom } from "./faults.js";
import { type EventFigures, centerEvents, compareCamera, emptyFigures } from "./event-check.js";
import { eventVerdicts, percentile } from "./event-check.js";
import { EventDriver } from "./event-driver.js";
import { rssBounded, table } from "./invariants.js";
import { runScript } from "./script-run.js";
import { SOAK_SITE, SoakWorld } from "./world.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    cameras: { type: "string", default: "8" },
    "base-ip": { type: "string", default: "127.0.130.100" },
    "outage-seconds": { type: "string", default: "120" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const MINUTES = Number(values.minutes);
const CAMERAS = Number(values.cameras);
const OUTAGE_MS = Number(values["outage-seconds"]) * 1000;
const TWO_HOURS_MS = 2 * 3_600_000;
/** The camera whose clock is off. */
const SKEWED = 3;
const RSS_CAP_MIB = 160;

await runScript({ name: "events-soak", dir: values.dir, keep: values.keep }, async (run) => {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const world = await SoakWorld.create(
      {
        dir: run.dir,
        cameras: CAMERAS,
        baseIp: values["base-ip"],
        mainJs: fileURLToPath(new URL("../../src/main.js", import.meta.url)),
        segmentSeconds: 10,
        override: (index) => (index === SKEWED ? { clockSkewMs: TWO_HOURS_MS } : {}),
      },
      (stop) => stops.push(stop),
    );
    const { parts } = world;
    const cameras = parts.sim.cameras;
    run.log(`world up: ${CAMERAS} cameras, camera ${SKEWED} two hours ahead`);
    const subscribed = () => cameras.every((camera) => (camera.events?.subscriptionCount ?? 0) > 0);
    for (let waited = 0; !subscribed(); waited += 500) {
      if (waited > 180_000) throw new Error("the agent did not subscribe to every camera");
      await sleep(500, undefined, { signal: run.signal });
    }
    run.log("every camera subscribed; driving detectors");

    const random = seededRandom(Number(values.seed));
    const driving = new AbortController();
    const driver = new EventDriver({ cameras, meanGapMs: 8_000, random, signal: driving.signal });
    const driven = driver.run();
    const runMs = MINUTES * 60_000;
    const at = (fraction: number) => sleep(runMs * fraction, undefined, { signal: run.signal });
    const plan = (async () => {
      await at(0.15);
      run.log("reboot: cameras 1 (20 s) and 6 (45 s)");
      await Promise.all([driver.reboot(1, 20_000), driver.reboot(6 % CAMERAS, 45_000)]);
      await at(0.1);
      const outage = Math.min(OUTAGE_MS, runMs * 0.4);
      run.log(`broker down for ${outage / 1000} s`);
      await parts.broker.stop();
      await sleep(outage, undefined, { signal: run.signal });
      await parts.broker.start(new AbortController().signal);
      run.log("broker up");
      await at(0.05);
      run.log(`reboot: camera ${SKEWED} (the one two hours ahead, 30 s)`);
      await driver.reboot(SKEWED, 30_000);
    })();
    await sleep(runMs, undefined, { signal: run.signal });
    await plan;
    driving.abort();
    await driven;
    run.log(`${driver.changes.length} changes made; waiting for the center`);

    const collect = async () => {
      const figures = emptyFigures();
      let unavailable = 0;
      for (const [index, cameraId] of parts.cameraIds.entries()) {
        const received = await centerEvents(parts.centerDir, SOAK_SITE, cameraId);
        unavailable += received.unavailable;
        const made = driver.changes.filter((change) => change.camera === index);
        compareCamera(made, received.events, figures);
      }
      return { figures, unavailable };
    };
    let result: { figures: EventFigures; unavailable: number } = await collect();
    for (let waited = 0; result.figures.received < result.figures.driven; waited += 2000) {
      if (waited > 180_000) break;
      await sleep(2000, undefined, { signal: run.signal });
      result = await collect();
    }
    const { figures } = result;
    await parts.agent.stop();
    const verdicts = [...eventVerdicts(figures), rssBounded(parts.agent.rss, RSS_CAP_MIB)];
    console.log(`\nevents soak of ${MINUTES} min, seed ${values.seed}, ${CAMERAS} cameras`);
    console.log(
      `reboots: ${driver.reboots.map((r) => `camera ${r.camera} ${r.downMs / 1000} s`).join(", ")}; ` +
        `broker outage ${Math.min(OUTAGE_MS, runMs * 0.4) / 1000} s; ` +
        `camera_events_unavailable reports at the center: ${result.unavailable}`,
    );
    console.log(
      `latency change -> center (all, outage included): p50 ${percentile(figures.latencyMs, 50)} ms, ` +
        `p95 ${percentile(figures.latencyMs, 95)} ms, max ${percentile(figures.latencyMs, 100)} ms\n`,
    );
    console.log(table(verdicts));
    return verdicts.every((verdict) => verdict.holds) ? 0 : 1;
  } finally {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => run.log(`clean-up: ${String(error)}`));
  }
});
process.exit();
