import { execFile } from "node:child_process";
import { mkdir, readFile, stat, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { CommandClient } from "../../src/center/index.js";
import type { Config } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { quotaBytes } from "../../src/retention/index.js";
import { Store } from "../../src/store/index.js";
import { waitUntil } from "./agent-process.js";
import { ChaosInjector } from "./chaos.js";
import { FAULT_KINDS, planFaults, seededRandom } from "./faults.js";
import {
  type DiskSample,
  diskWithinQuota,
  everySegmentAccountedFor,
  filesUnder,
  gapsExplained,
  indexMatchesDisk,
  noUnexpectedCrash,
  outboxExactlyOnce,
  rssBounded,
  type Verdict,
} from "./invariants.js";
import {
  cameraPassword,
  keyBytesSecrets,
  pemKeySecrets,
  scanPaths,
  type Secret,
} from "./secret-scan.js";
import { SOAK_SITE, SoakWorld } from "./world.js";

const exec = promisify(execFile);

export interface SoakOptions {
  dir: string;
  mainJs: string;
  chaosMinutes: number;
  seed: number;
  cameras: number;
  baseIp: string;
  /** Mean pause between two faults starting. */
  meanGapMs?: number;
  log: (line: string) => void;
  /** Ends the soak early (Ctrl-C): everything it started is stopped, no table. */
  signal?: AbortSignal;
}

export interface SoakResult {
  verdicts: Verdict[];
  faults: Record<string, number>;
  skipped: string[];
  statusAnswered: { ok: number; sent: number };
}

const SEGMENT_SECONDS = 4;
const RSS_CAP_MIB = 256;

/**
 * A soak: the real daemon recording and forwarding while seeded faults hit it, the invariants
 * sampled during the run and checked at its end, and every secret looked for in what it wrote.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const stops: (() => Promise<unknown>)[] = [];
  const aborted = new Promise<never>((_, reject) => {
    const abort = () => reject(new Error("soak aborted"));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener("abort", abort, { once: true });
  });
  aborted.catch(() => undefined); // an abort after the end is nobody's concern
  try {
    const running = soak(options, (stop) => stops.push(stop));
    // Once aborted, the run fails against what the clean-up stops; that is not news.
    running.catch(() => undefined);
    return await Promise.race([running, aborted]);
  } finally {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => options.log(`clean-up: ${String(error)}`));
  }
}

async function soak(
  options: SoakOptions,
  started: (stop: () => Promise<unknown>) => void,
): Promise<SoakResult> {
  const { log } = options;
  const world = await SoakWorld.create(
    {
      dir: options.dir,
      cameras: options.cameras,
      baseIp: options.baseIp,
      mainJs: options.mainJs,
      segmentSeconds: SEGMENT_SECONDS,
    },
    started,
  );
  const { parts } = world;
  const { center } = parts;
  if (!center) throw new Error("the soak reads what the center received: it runs in this process");
  const outputs = join(options.dir, "outputs");
  await mkdir(outputs, { recursive: true });
  const cli = (args: string[]) =>
    exec(process.execPath, [options.mainJs, ...args, "--config", parts.configFile], {
      maxBuffer: 64 << 20,
    }).then(
      (done) => ({ code: 0, stdout: done.stdout }),
      (error: { code?: number; stdout?: string }) => ({
        code: error.code ?? 1,
        stdout: error.stdout ?? "",
      }),
    );

  log(`waiting for ${options.cameras} cameras to reach the center`);
  await waitUntil(
    "every camera's video at the center",
    () => new Set(center.receivedSegments().map((s) => s.cameraId)).size >= options.cameras,
    180_000,
  );

  // Samplers: disk use against the quota; `status --json` and a status command now and then.
  const disk: DiskSample[] = [];
  const commands = await CommandClient.connect({
    url: parts.broker.url,
    ca: parts.pki.ca,
    cert: parts.pki.commandsCert,
    key: parts.pki.commandsKey,
  });
  started(() => commands.close());
  const statusAnswered = { ok: 0, sent: 0 };
  let sampling = true;
  const sample = async (tick: number) => {
    const used = [...(await filesUnder(parts.storage.dir)).values()].reduce((a, b) => a + b, 0);
    const fs = await statfs(parts.storage.mount);
    const quota = quotaBytes(parts.config.storage, {
      totalBytes: fs.blocks * fs.bsize,
      freeBytes: fs.bavail * fs.bsize,
    });
    disk.push({ atMs: Date.now(), usedBytes: used, quotaBytes: quota });
    if (tick % 15 === 0) {
      const status = await cli(["status", "--json"]);
      await writeFile(join(outputs, `status-${tick}.json`), status.stdout);
      statusAnswered.sent++;
      commands
        .send(SOAK_SITE, "status.get", {}, { timeoutMs: 20_000 })
        .then((reply) => void (reply.ok && statusAnswered.ok++))
        .catch(() => undefined); // the broker or the link may be down: counted, not fatal
    }
  };
  const sampler = (async () => {
    for (let tick = 0; sampling && !options.signal?.aborted; tick++) {
      // A sample that fails is said, not fatal: the chaos goes on, and a missing sample shows.
      await sample(tick).catch((error: unknown) => log(`sample ${tick} failed: ${String(error)}`));
      await sleep(2_000);
    }
  })();

  const chaosMs = options.chaosMinutes * 60_000;
  const plan = planFaults({
    seed: options.seed,
    chaosMs,
    cameras: options.cameras,
    meanGapMs: options.meanGapMs ?? 45_000,
  });
  log(`chaos for ${options.chaosMinutes} min, seed ${options.seed}: ${plan.length} faults planned`);
  const injector = new ChaosInjector(world, seededRandom(options.seed ^ 0x5eed), log);
  options.signal?.addEventListener("abort", () => injector.abort(), { once: true });
  await injector.run(plan);

  log("chaos over; draining the backlog");
  const read = <T>(fn: (store: Store) => T): T => {
    const store = new Store(parts.config.store.path, silentLogger());
    try {
      store.open();
      return fn(store);
    } finally {
      store.close();
    }
  };
  await waitUntil(
    "the backlog sent",
    () =>
      read(
        (s) =>
          [...s.repos.segments.stored()].filter((row) => row.state === "closed").length <=
            options.cameras && s.repos.outbox.stats().count < 5,
      ),
    Math.max(180_000, chaosMs / 4),
  ).catch((error: unknown) => log(String(error)));
  sampling = false;
  await sampler;
  const exitCode = await parts.agent.stop();
  // What the broker acknowledged may still be on its way to the center.
  let last = "";
  await waitUntil(
    "the center settled",
    async () => {
      const now = JSON.stringify(center.summary());
      const settled = now === last;
      last = now;
      return settled;
    },
    60_000,
  ).catch(() => undefined);

  for (const [name, args] of [
    ["recordings", ["recordings", "list", "--json"]],
    ["access", ["access", "list", "--json"]],
    ["status", ["status", "--json"]],
  ] as const) {
    await writeFile(join(outputs, `${name}.json`), (await cli([...args])).stdout);
  }
  const accessVerify = await cli(["access", "verify"]);
  const boxLog = await readFile(join(parts.config.store.path, "..", "camgate.log"), "utf8");
  // What happened when, kept beside the run for whoever reads its table later.
  const evidence = { seed: options.seed, plan, faults: injector.done, skipped: injector.skipped };
  await writeFile(
    join(options.dir, "evidence.json"),
    JSON.stringify({
      ...evidence,
      clock: injector.clock,
      disk,
      rss: parts.agent.rss,
      exits: parts.agent.exits,
    }),
  );

  const verdicts: Verdict[] = [];
  const allowance =
    read((s) => Math.max(0, ...s.repos.segments.after(0, 10_000_000).map((r) => r.bytes))) *
    options.cameras;
  verdicts.push(diskWithinQuota(disk, allowance));
  const store = new Store(parts.config.store.path, silentLogger());
  try {
    store.open();
    verdicts.push(await indexMatchesDisk(store, parts.config.storage.dir));
    verdicts.push(
      await everySegmentAccountedFor(store, center.receivedSegments(), (row) =>
        join(parts.centerDir, SOAK_SITE, "cameras", row.cameraId, "video", `${row.id}.ts`),
      ),
    );
    verdicts.push(await outboxExactlyOnce(store, SOAK_SITE, parts.centerDir));
    verdicts.push(rssBounded(parts.agent.rss, RSS_CAP_MIB));
    verdicts.push(noUnexpectedCrash(parts.agent.exits, boxLog));
    verdicts.push({
      invariant: "clean stop at the end",
      holds: exitCode === 0,
      detail: `exit code ${exitCode}`,
    });
    verdicts.push(
      gapsExplained({
        segments: store.repos.segments.after(0, 10_000_000),
        faults: injector.done,
        clock: injector.clock,
        segmentMs: SEGMENT_SECONDS * 1000,
        recoveryMs: recoveryMs(parts.config),
      }),
    );
  } finally {
    store.close();
  }
  verdicts.push({
    invariant: "access-log chain verifies",
    holds: accessVerify.code === 0,
    detail: accessVerify.stdout.trim().split("\n")[0] ?? "",
  });
  verdicts.push(await secretsNowhere(world, options.dir, outputs));
  verdicts.push(await keysPrivate(world));
  const faults: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0]));
  for (const fault of injector.done) faults[fault.kind] = (faults[fault.kind] ?? 0) + 1;
  return {
    verdicts,
    faults,
    skipped: injector.skipped.map((s) => `${s.kind}: ${s.why}`),
    statusAnswered,
  };
}

/**
 * How long recording may take to come back after a fault ends: ffmpeg's longest restart delay,
 * its connect timeout, the stall watchdog (3 segments), and a restart of the agent (RestartSec
 * 5 s, start-up, reconcile) with its first segment to close.
 */
function recoveryMs(config: Config): number {
  const { restartDelayMax, connectTimeout } = config.recorder;
  return restartDelayMax + connectTimeout + 3 * config.storage.segmentSeconds * 1000 + 15_000;
}

/** The secrets of this soak: camera passwords, every private key, the sealing key. */
async function secretsOf(world: SoakWorld): Promise<Secret[]> {
  const { parts } = world;
  const secrets = parts.sim
    .describe()
    .flatMap((camera) =>
      cameraPassword(`camera ${camera.name} password`, camera.username, camera.password),
    );
  for (const [label, file] of [
    ["box key", parts.pki.clientKey],
    ["center key", parts.pki.centerKey],
    ["center commands key", parts.pki.commandsKey],
    ["broker key", parts.pki.brokerKey],
    ["CA key", parts.pki.caKey],
  ] as const)
    secrets.push(...pemKeySecrets(label, await readFile(file, "utf8")));
  secrets.push(...keyBytesSecrets("sealing key", await readFile(parts.config.secrets.keyFile)));
  return secrets;
}

async function secretsNowhere(world: SoakWorld, dir: string, outputs: string): Promise<Verdict> {
  const { parts } = world;
  const scanned = await scanPaths(
    [join(parts.config.store.path, ".."), parts.centerDir, join(dir, "broker"), outputs],
    await secretsOf(world),
  );
  return {
    invariant: "no secret in logs, MQTT payloads or JSON output",
    holds: scanned.findings.length === 0,
    detail:
      scanned.findings.length === 0
        ? `${scanned.files} files, ${(scanned.bytes / 1048576).toFixed(1)} MiB scanned`
        : scanned.findings
            .slice(0, 4)
            .map((f) => `${f.label} (${f.form}) in ${f.where}`)
            .join("; "),
  };
}

async function keysPrivate(world: SoakWorld): Promise<Verdict> {
  const { parts } = world;
  const files = [parts.pki.clientKey, parts.config.secrets.keyFile];
  const modes = await Promise.all(
    files.map(async (file) => ((await stat(file)).mode & 0o777).toString(8)),
  );
  return {
    invariant: "key files 0600",
    holds: modes.every((mode) => mode === "600"),
    detail: files
      .map((file, i) => `${file.split("/").pop() ?? file} ${modes[i] ?? "?"}`)
      .join(", "),
  };
}
