// 20 simulated cameras, each pulled by its own ffmpeg for a fixed media duration. Prints, per
// client, wall time against media time (1.00 = real time) and the simulator's own CPU and
// event-loop delay. Usage: node dist/scripts/bench/sim-load.js [--cameras 20] [--seconds 30]
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { Simulator } from "../../src/sim/index.js";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    cameras: { type: "string", default: "20" },
    seconds: { type: "string", default: "30" },
    "base-ip": { type: "string", default: "127.0.9.10" },
  },
});
const cameras = Number(values.cameras);
const seconds = Number(values.seconds);

function record(uri: string, file: string): Promise<number> {
  const started = performance.now();
  const child = spawn(
    "ffmpeg",
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      "-rtsp_transport",
      "tcp",
      "-i",
      uri,
      "-t",
      String(seconds),
      "-c",
      "copy",
      "-y",
      file,
    ],
    { stdio: "ignore" },
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

async function mediaSeconds(file: string): Promise<number> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    file,
  ]);
  return Number(stdout.trim());
}

const dir = await mkdtemp(join(tmpdir(), "camgate-bench-sim-"));
const sim = new Simulator({
  cameras,
  baseIp: values["base-ip"],
  profile: "weak",
  ffmpeg: "ffmpeg",
  multicast: false,
});
await sim.start();
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
try {
  const walls = await Promise.all(
    sim.describe().map((camera, i) => record(camera.streams[0] ?? "", join(dir, `${i}.mp4`))),
  );
  const wall = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  loop.disable();
  const media = await Promise.all(walls.map((_, i) => mediaSeconds(join(dir, `${i}.mp4`))));
  const ratios = walls.map((w, i) => (media[i] ?? 0) / w).sort((a, b) => a - b);
  const pick = (q: number) =>
    ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]?.toFixed(3);
  console.log(`cameras ${cameras}, ${seconds} s of media each, wall ${wall.toFixed(1)} s`);
  console.log(
    `media/wall per client (1.00 = real time, includes connect + first keyframe): min ${pick(0)} median ${pick(0.5)} max ${pick(0.999)}`,
  );
  console.log(
    `media recorded: min ${Math.min(...media).toFixed(2)} s, max ${Math.max(...media).toFixed(2)} s`,
  );
  console.log(
    `simulator CPU: ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)} % of one core (user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s)`,
  );
  console.log(
    `simulator event-loop delay: p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
  );
  console.log(`simulator RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
}
