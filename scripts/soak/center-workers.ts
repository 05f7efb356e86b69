// Two reference-center workers (`camgate center`) on one MQTT 5 shared subscription and one
// output directory, with a box sending video for a while; then every segment is checked at the
// center and the figures printed. Exits 1 unless every segment arrived exactly once, verified.
// Usage: node dist/scripts/soak/center-workers.js [--minutes 5] [--cameras 4] [--dir DIR] [--keep]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatFigures } from "./center-figures.js";
import { runCenterWorkers } from "./center-workers-run.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    cameras: { type: "string", default: "4" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "camgate-center-workers-")));
const started = Date.now();
const interrupted = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => interrupted.abort());
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s]`;
try {
  const result = await runCenterWorkers({
    dir,
    mainJs: fileURLToPath(new URL("../../src/main.js", import.meta.url)),
    seconds: Math.round(Number(values.minutes) * 60),
    cameras: Number(values.cameras),
    log: (line) => console.log(`${stamp()} ${line}`),
    signal: interrupted.signal,
  });
  const { figures } = result;
  console.log(`\ntwo center workers, ${values.minutes} min of traffic, ${values.cameras} cameras`);
  console.log(formatFigures(figures));
  console.log(
    `finished by                   ${Object.entries(result.finishedBy)
      .map(([worker, count]) => `${worker} ${count}`)
      .join(", ")}`,
  );
  console.log(`workers' exit codes           ${result.exitCodes.join(", ")}`);
  const exact =
    figures.received === figures.segments &&
    figures.verified === figures.segments &&
    figures.duplicates === 0 &&
    figures.lost === 0 &&
    figures.indexLost === 0 &&
    figures.leftovers.length === 0;
  console.log(exact ? "every segment exactly once: yes" : "every segment exactly once: NO");
  process.exitCode = exact ? 0 : 1;
} finally {
  if (values.keep) console.log(`kept: ${dir}`);
  else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
