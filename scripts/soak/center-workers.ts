// Two reference-center workers (`camgate center`) on one MQTT 5 shared subscription and one
// output directory, with a box sending video for a while; then every segment is checked at the
// center and the figures printed. Exits 1 unless every segment arrived exactly once, verified.
// Usage: node dist/scripts/soak/center-workers.js [--minutes 5] [--cameras 4] [--dir DIR] [--keep]
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatFigures } from "./center-figures.js";
import { runCenterWorkers } from "./center-workers-run.js";
import { runScript } from "./script-run.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    cameras: { type: "string", default: "4" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
await runScript({ name: "center-workers", dir: values.dir, keep: values.keep }, async (run) => {
  const result = await runCenterWorkers({
    dir: run.dir,
    mainJs: fileURLToPath(new URL("../../src/main.js", import.meta.url)),
    seconds: Math.round(Number(values.minutes) * 60),
    cameras: Number(values.cameras),
    log: run.log,
    signal: run.signal,
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
  return exact ? 0 : 1;
});
