// CPU of the whole recording agent (node + its ffmpeg children) recording 8 simulated streams,
// against 8 bare `ffmpeg -c copy -f segment` processes recording the same streams; also node's
// own CPU and RSS. Both run side by side and are measured over the same windows, after a
// warm-up (node's start-up, a one-off of a daemon that runs for months, is printed apart), so a
// busy neighbour on the machine weighs on both alike.
// Target: ratio <= 1.10 against bare ffmpeg. Bare ffmpeg computes no SHA-256, which the index
// needs for every byte; the ratio to bare ffmpeg plus that hash (measured here, as the agent
// hashes) is printed too, to tell node's own overhead from the hash's.
// The streams default to a camera's main-stream weight (1280x720, 15 fps, about 2 Mbit/s); the
// fixed cost per segment matters less the more video there is to copy.
// Usage: node dist/scripts/bench/recorder.js [--cameras 8] [--windows 5] [--seconds 40]
//          [--kbps 2000] [--width 1280 --height 720 --fps 15]
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseConfigText } from "../../src/config/index.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { hashFile, hashScratch } from "../../src/recorder/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Simulator } from "../../src/sim/index.js";
import { Store } from "../../src/store/index.js";
import { childrenOf, cpuSeconds, rssMiB } from "../lib/processes.js";
import { median } from "./figures.js";

const { values } = parseArgs({
  options: {
    cameras: { type: "string", default: "8" },
    windows: { type: "string", default: "5" },
    seconds: { type: "string", default: "40" },
    "base-ip": { type: "string", default: "127.0.14.1" },
    width: { type: "string", default: "1280" },
    height: { type: "string", default: "720" },
    fps: { type: "string", default: "15" },
    kbps: { type: "string", default: "2000" },
    /** Write a V8 CPU profile of the agent into this folder (node --cpu-prof). */
    "cpu-prof": { type: "string" },
  },
});
const cameras = Number(values.cameras);
const windows = Number(values.windows);
const seconds = Number(values.seconds);
const WARM_UP_MS = 30_000;

async function cpuOf(pids: readonly number[]): Promise<number> {
  return (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
}

interface Sample {
  bare: number;
  agent: number;
  node: number;
  bareBytes: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

async function bytesUnder(dir: string): Promise<number> {
  const sizes = await Promise.all(
    (await filesUnder(dir)).map(async (file) => (await stat(file)).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * CPU seconds per byte that the SHA-256 of this video costs (the index requires it, bare ffmpeg
 * does not do it): every file under `dir` hashed here, as the agent hashes a segment.
 */
async function hashCostPerByte(dir: string): Promise<number> {
  const files = await filesUnder(dir);
  const scratch = hashScratch();
  const start = process.cpuUsage();
  let hashed = 0;
  for (const file of files) hashed += (await hashFile(file, scratch)).bytes;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6 / Math.max(1, hashed);
}
const MAIN_JS = fileURLToPath(new URL("../../src/main.js", import.meta.url));
const sim = new Simulator({
  baseIp: values["base-ip"],
  cameras,
  profile: "hardened",
  ffmpeg: "ffmpeg",
  multicast: false,
  discoveryPort: 43790,
  video: {
    width: Number(values.width),
    height: Number(values.height),
    fps: Number(values.fps),
    kbps: Number(values.kbps),
  },
});
await sim.start();
const described = sim.describe();
const urls = described.map((camera) => {
  const url = new URL(camera.streams[0] ?? "");
  url.username = camera.username;
  url.password = camera.password;
  return url.href;
});
const work = await mkdtemp(join(tmpdir(), "camgate-bench-recorder-"));

/** `camgate run` recording every simulated camera, as provisioned by a technician. */
async function startAgent(): Promise<ChildProcess> {
  const config = [
    "site: {id: bench}",
    `store: {path: ${join(work, "camgate.db")}}`,
    `secrets: {keyFile: ${join(work, "seal.key")}}`,
    `storage: {dir: ${join(work, "agent")}, minFreeBytes: 0}`,
    "discovery: {enabled: false}",
    "audit: {enabled: false}",
    "log: {level: warn}",
  ].join("\n");
  await writeFile(join(work, "camgate.yaml"), config);
  const parsed = parseConfigText(config, "bench.yaml", {});
  const store = new Store(parsed.store.path, silentLogger());
  const repos = store.open();
  const vault = new CredentialVault(repos, await SecretSealer.open(parsed.secrets.keyFile));
  for (const [index, camera] of described.entries()) {
    repos.cameras.upsert(
      {
        id: `cam-${index}`,
        urn: camera.urn,
        mac: camera.mac,
        ip: camera.address,
        xaddrs: [camera.xaddr],
        manufacturer: null,
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: camera.name,
        profiles: [{ token: "main", width: 1, height: 1, streamUri: camera.streams[0] }],
        clockOffsetMs: 0,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    vault.setForCamera(`cam-${index}`, { username: camera.username, password: camera.password });
  }
  store.close();
  const profile = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [];
  return spawn(
    process.execPath,
    [...profile, MAIN_JS, "run", "--config", join(work, "camgate.yaml")],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

try {
  const bare = await Promise.all(
    urls.map(async (url, index) => {
      const out = join(work, "bare", String(index));
      await mkdir(out, { recursive: true });
      return spawn(
        "ffmpeg",
        [
          ...["-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url],
          ...["-map", "0:v:0", "-c", "copy", "-f", "segment", "-segment_time", "10"],
          ...["-segment_format", "mpegts", join(out, "%06d.ts")],
        ],
        { stdio: ["pipe", "ignore", "inherit"] },
      );
    }),
  );
  const agent = await startAgent();
  const pid = agent.pid ?? 0;
  await sleep(WARM_UP_MS);
  const ffmpegs = await childrenOf(pid);
  const barePids = bare.map((child) => child.pid ?? 0);
  const sample = async (): Promise<Sample> => ({
    bare: await cpuOf(barePids),
    agent: await cpuOf([pid, ...ffmpegs]),
    node: await cpuOf([pid]),
    bareBytes: await bytesUnder(join(work, "bare")),
  });
  const samples = [await sample()];
  for (let window = 0; window < windows; window++) {
    await sleep(seconds * 1000);
    samples.push(await sample());
  }
  const rss = (await rssMiB(pid)) ?? 0;
  agent.kill("SIGTERM");
  await once(agent, "exit");
  await Promise.all(
    bare.map(async (child) => {
      child.stdin.end("q");
      await once(child, "exit");
    }),
  );
  const first = samples[0] as Sample;
  const last = samples[windows] as Sample;
  const hashPerByte = await hashCostPerByte(join(work, "bare"));
  const rows = samples.slice(1).map((end, index) => {
    const start = samples[index] as Sample;
    const bareCpu = end.bare - start.bare;
    const hashCpu = (end.bareBytes - start.bareBytes) * hashPerByte;
    const agentCpu = end.agent - start.agent;
    return {
      bareCpu,
      hashCpu,
      agentCpu,
      nodeCpu: end.node - start.node,
      withHash: agentCpu / (bareCpu + hashCpu),
      alone: agentCpu / bareCpu,
    };
  });
  const medianOf = (pick: (row: (typeof rows)[number]) => number) => median(rows.map(pick));
  const mib = (last.bareBytes - first.bareBytes) / 1048576 / windows;
  console.log(
    `${cameras} streams of ${values.width}x${values.height} at ${values.fps} fps, ~${values.kbps} kbit/s; ` +
      `agent (${ffmpegs.length} ffmpeg children) and bare ffmpeg side by side, ` +
      `${windows} windows of ${seconds} s (${mib.toFixed(0)} MiB per window each)`,
  );
  console.log("window   bare ffmpeg   SHA-256   agent    node   ratio to bare   to bare+SHA");
  for (const [index, row] of rows.entries())
    console.log(
      `${String(index + 1).padStart(6)} ${row.bareCpu.toFixed(2).padStart(11)} s ` +
        `${row.hashCpu.toFixed(2).padStart(7)} s ${row.agentCpu.toFixed(2).padStart(6)} s ` +
        `${row.nodeCpu.toFixed(2).padStart(5)} s ${row.alone.toFixed(3).padStart(15)} ` +
        `${row.withHash.toFixed(3).padStart(13)}`,
    );
  const hashShare = medianOf((row) => row.hashCpu / row.bareCpu) * 100;
  console.log(
    `median ratio to bare ffmpeg: ${medianOf((row) => row.alone).toFixed(3)} (target <= 1.10)`,
  );
  console.log(
    `median ratio to bare ffmpeg + SHA-256: ${medianOf((row) => row.withHash).toFixed(3)} ` +
      `(the hash the index needs is ${hashShare.toFixed(1)} % of bare ffmpeg)`,
  );
  const nodeCpu = medianOf((row) => row.nodeCpu);
  console.log(
    `node process alone: CPU ${nodeCpu.toFixed(2)} s per window (${((100 * nodeCpu) / seconds).toFixed(1)}% of a core), ` +
      `RSS ${rss.toFixed(1)} MiB; start-up + warm-up CPU ${first.agent.toFixed(2)} s (node + ffmpeg)`,
  );
} finally {
  await sim.stop();
  await rm(work, { recursive: true, force: true });
}
