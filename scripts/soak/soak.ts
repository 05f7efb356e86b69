// Soak with chaos: the real daemon (camgate run) with simulated cameras, mosquitto with mutual TLS
// behind a faulty link, and the reference center, while seeded faults hit it: kill -9 of the
// agent (restarted as systemd would) and of ffmpeg, cameras stopped, streams stalled, the broker
// stopped, the disk filled into its reserve (a tmpfs, as root), the box clock jumped (libfaketime),
// the link cut, delayed and throttled. Prints the invariant table; exits 1 if any is broken.
// Usage: node dist/scripts/soak/soak.js [--minutes 30] [--seed N] [--cameras 8]
//          [--base-ip 127.0.48.10] [--dir DIR] [--keep]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { table } from "./invariants.js";
import { runSoak } from "./run-soak.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    cameras: { type: "string", default: "8" },
    "base-ip": { type: "string", default: "127.0.48.10" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "camgate-soak-")));
const started = Date.now();
const interrupted = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => interrupted.abort());
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s]`;
try {
  const result = await runSoak({
    dir,
    mainJs: fileURLToPath(new URL("../../src/main.js", import.meta.url)),
    chaosMinutes: Number(values.minutes),
    seed: Number(values.seed),
    cameras: Number(values.cameras),
    baseIp: values["base-ip"],
    log: (line) => console.log(`${stamp()} ${line}`),
    signal: interrupted.signal,
  });
  console.log(`\nsoak of ${values.minutes} min, seed ${values.seed}, ${values.cameras} cameras`);
  console.log(
    `faults: ${Object.entries(result.faults)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")}`,
  );
  if (result.skipped.length > 0) console.log(`skipped: ${result.skipped.join("; ")}`);
  console.log(
    `status.get answered: ${result.statusAnswered.ok} of ${result.statusAnswered.sent}\n`,
  );
  console.log(table(result.verdicts));
  process.exitCode = result.verdicts.every((verdict) => verdict.holds) ? 0 : 1;
} catch (error) {
  if (!interrupted.signal.aborted) throw error;
  console.log(`${stamp()} interrupted: everything the soak started is stopped`);
  process.exitCode = 130;
} finally {
  if (values.keep) console.log(`kept: ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
// Everything is stopped; a fault that was waiting out its duration need not be waited for.
process.exit();
