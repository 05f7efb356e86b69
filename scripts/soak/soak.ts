// Soak with chaos: the real daemon (camgate run) with simulated cameras, mosquitto with mutual TLS
// behind a faulty link, and the reference center, while seeded faults hit it: kill -9 of the
// agent (restarted as systemd would) and of ffmpeg, cameras stopped, streams stalled, the broker
// stopped, the disk filled into its reserve (a tmpfs, as root), the box clock jumped (libfaketime),
// the link cut, delayed and throttled. Prints the invariant table; exits 1 if any is broken.
// Usage: node dist/scripts/soak/soak.js [--minutes 30] [--seed N] [--cameras 8]
//          [--base-ip 127.0.48.10] [--dir DIR] [--keep]
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { table } from "./invariants.js";
import { runSoak } from "./run-soak.js";
import { runScript } from "./script-run.js";

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
await runScript({ name: "soak", dir: values.dir, keep: values.keep }, async (run) => {
  const result = await runSoak({
    dir: run.dir,
    mainJs: fileURLToPath(new URL("../../src/main.js", import.meta.url)),
    chaosMinutes: Number(values.minutes),
    seed: Number(values.seed),
    cameras: Number(values.cameras),
    baseIp: values["base-ip"],
    log: run.log,
    signal: run.signal,
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
  return result.verdicts.every((verdict) => verdict.holds) ? 0 : 1;
});
// Everything is stopped; a fault that was waiting out its duration need not be waited for.
process.exit();
