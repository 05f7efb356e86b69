import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import type { Config } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { hashFile } from "../../src/recorder/index.js";
import { lockRecordings } from "../../src/retention/index.js";
import type { Simulator } from "../../src/sim/index.js";
import { type SegmentRecord, Store } from "../../src/store/index.js";
import { cleanEnv, MAIN_JS } from "../helpers/cli.js";
import {
  probeVideo,
  recorderConfig,
  seedCameras,
  segmentFiles,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { tempDir, defer } from "../helpers/temp.js";

const run = promisify(execFile);

async function seedFrom(config: Config, sim: Simulator): Promise<void> {
  await seedCameras(
    config,
    sim.describe().map((camera, index) => ({
      id: `cam-${index}`,
      ip: camera.address,
      streamUri: camera.streams[0] ?? "",
      credentials: { username: camera.username, password: camera.password },
    })),
  );
}

/** Index and disk agree: every stored row has its file, same size and SHA-256, and no other file. */
async function assertIndexMatchesDisk(config: Config): Promise<SegmentRecord[]> {
  const store = new Store(config.store.path, silentLogger());
  try {
    const rows = [...store.open().segments.stored()];
    const files = await segmentFiles(config.storage.dir);
    assert.deepEqual(
      files.map((f) => f.path).sort(),
      rows.map((r) => r.path).sort(),
      "no orphan file, no dangling row",
    );
    for (const row of rows)
      assert.deepEqual(await hashFile(row.path), { sha256: row.sha256, bytes: row.bytes });
    return rows;
  } finally {
    store.close();
  }
}

describe("recorder under faults", { concurrency: true }, () => {
  it("keeps disk use within quota + one segment per camera, oldest first, locks kept", async (t) => {
    const sim = await hardenedCameras(t, "127.0.31.10", 4, { discoveryPort: 43731 });
    const dir = await tempDir(t);
    const quota = 1_500_000;
    const config = recorderConfig(dir, [
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, maxBytes: ${quota}, minFreeBytes: 0}`,
    ]);
    await seedFrom(config, sim);
    const agent = Agent.fromConfig(config, silentLogger());
    const lost: AgentEvents["boxEvent"][] = [];
    const closed: SegmentRecord[] = [];
    agent.bus.on("boxEvent", (e) => e.kind === "segment_lost_unforwarded" && lost.push(e));
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const store = agent.components.find((c) => c.name === "store") as Store;

    await waitFor(
      "two segments of cam-0",
      () => closed.filter((s) => s.cameraId === "cam-0").length >= 2,
      60_000,
    );
    const evidence = closed.filter((s) => s.cameraId === "cam-0").slice(0, 2);
    const held = lockRecordings(
      store.repos.segments,
      config.storage,
      {
        cameraId: "cam-0",
        fromMs: evidence[0]?.startMs ?? 0,
        toMs: evidence[1]?.endMs ?? 0,
        untilMs: Date.now() + 3_600_000,
      },
      { now: Date.now() },
    );
    assert.equal(held.segments, 2);

    let peak = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const used = (await segmentFiles(config.storage.dir)).reduce((sum, f) => sum + f.bytes, 0);
      peak = Math.max(peak, used);
      await sleep(500);
    }
    await agent.stop();
    const largest = Math.max(...closed.map((s) => s.bytes));
    assert.ok(peak <= quota + 4 * largest, `peak ${peak} ≤ quota ${quota} + 4 × ${largest}`);

    const rows = await assertIndexMatchesDisk(config);
    const evicted = closed.filter((s) => !rows.some((r) => r.id === s.id));
    assert.ok(evicted.length > 20, `${evicted.length} segments evicted`);
    const keptUnlocked = rows.filter((r) => !evidence.some((e) => e.id === r.id));
    // Oldest first: in the order indexed (the ring buffer's rule; a segment is indexed when it
    // closes, so two cameras' segments may be indexed in the other order of their starts under
    // load), and by start time within each camera.
    assert.ok(
      Math.max(...evicted.map((s) => s.id)) < Math.min(...keptUnlocked.map((r) => r.id)),
      "the oldest went first",
    );
    for (const cameraId of new Set(closed.map((s) => s.cameraId))) {
      const kept = keptUnlocked.filter((r) => r.cameraId === cameraId);
      const gone = evicted.filter((s) => s.cameraId === cameraId);
      if (kept.length === 0 || gone.length === 0) continue;
      assert.ok(
        Math.max(...gone.map((s) => s.startMs)) <= Math.min(...kept.map((r) => r.startMs)),
        `${cameraId}: the oldest went first`,
      );
    }
    for (const segment of evidence)
      assert.ok(
        rows.some((r) => r.id === segment.id),
        "locked segment kept",
      );
    assert.deepEqual(
      lost.map((e) => e.detail.segmentId).sort(),
      evicted.map((s) => s.id).sort(),
      "one event per unforwarded eviction",
    );
  });

  it("survives kill -9 of the agent ten times in a row: index and disk agree", async (t) => {
    const sim = await hardenedCameras(t, "127.0.32.10", 2, { discoveryPort: 43732 });
    const dir = await tempDir(t);
    const storage = `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`;
    const { config, file: configFile } = await writeRecorderConfig(dir, [storage]);
    await seedFrom(config, sim);
    const startAgent = () => {
      // Its own process group, so that a kill takes ffmpeg along, as systemd's cgroup kill does.
      const child = spawn(process.execPath, [MAIN_JS, "run", "--config", configFile], {
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "inherit"],
        detached: true,
      });
      let log = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (log += chunk));
      return {
        child,
        segmentsLogged: () => (log.match(/"msg":"recording"/g) ?? []).length,
        log: () => log,
      };
    };
    const countRows = () => {
      const store = new Store(config.store.path, silentLogger());
      try {
        return store.open().segments.storedBytes();
      } finally {
        store.close();
      }
    };
    for (let round = 0; round < 10; round++) {
      const before = countRows();
      const agent = startAgent();
      // Kill once it has indexed something new and ffmpeg is writing the next segment.
      await waitFor(`round ${round}: a new segment`, () => countRows() > before, 120_000).catch(
        (error: unknown) => {
          throw new Error(`${(error as Error).message}; agent log:\n${agent.log().slice(-3000)}`);
        },
      );
      await sleep(700 + round * 100);
      process.kill(-(agent.child.pid ?? 0), "SIGKILL");
      await once(agent.child, "exit");
    }
    const last = startAgent();
    const before = countRows();
    await waitFor("recording after the last restart", () => countRows() > before, 60_000);
    last.child.kill("SIGTERM");
    const [code] = (await once(last.child, "exit")) as [number | null];
    assert.equal(code, 0, last.log().slice(-2000));
    const rows = await assertIndexMatchesDisk(config);
    assert.ok(rows.length >= 20, `${rows.length} segments`);
    for (const row of rows) {
      const media = await probeVideo(row.path);
      assert.equal(media.codec, "h264", row.path);
    }
  });

  it("does not crash when the filesystem fills up", async (t) => {
    const dir = await tempDir(t);
    // Not inside `dir`: it must be unmounted before it can be removed, and clean-ups run in order.
    const mountPoint = await mkdtemp(join(tmpdir(), "camgate-small-fs-"));
    try {
      await run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]);
    } catch (error) {
      await rm(mountPoint, { recursive: true });
      t.skip(`cannot mount a small tmpfs here: ${(error as Error).message.split("\n")[0]}`);
      return;
    }
    defer(t, async () => {
      await run("umount", ["-l", mountPoint]);
      await rm(mountPoint, { recursive: true });
    });
    const sim = await hardenedCameras(t, "127.0.33.10", 2, { discoveryPort: 43733 });
    const config = recorderConfig(dir, [
      `storage: {dir: ${mountPoint}, segmentSeconds: 2, maxPercent: 100, minFreeBytes: 0}`,
    ]);
    await seedFrom(config, sim);
    const agent = Agent.fromConfig(config, silentLogger());
    const events: string[] = [];
    let closedAfterFull = 0;
    agent.bus.on("boxEvent", (e) => events.push(e.kind));
    agent.bus.on("segmentClosed", () => events.includes("disk_full") && closedAfterFull++);
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    await waitFor("the disk to fill", () => events.includes("disk_full"), 120_000);
    await waitFor("recording to go on", () => closedAfterFull >= 4, 60_000);
    await agent.stop();
    await assertIndexMatchesDisk(config);
  });
});
