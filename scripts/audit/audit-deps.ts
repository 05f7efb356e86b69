// The production dependencies against the npm advisory database: any high or critical advisory
// fails, unless scripts/audit/exceptions.json gives a written reason (and a date to look again).
// Usage: node dist/scripts/audit/audit-deps.js [--allow-unavailable]
// --allow-unavailable: where the registry in use does not serve advisories, say so and pass.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type AuditException, type AuditReport, judgeAudit } from "./judge.js";

const { values } = parseArgs({
  options: { "allow-unavailable": { type: "boolean", default: false } },
});
const root = fileURLToPath(new URL("../../../", import.meta.url));
const exceptions = JSON.parse(
  await readFile(`${root}scripts/audit/exceptions.json`, "utf8"),
) as AuditException[];

// npm audit exits 1 when it finds anything; its JSON is on stdout either way.
const stdout = await new Promise<string>((resolve) =>
  execFile(
    "npm",
    ["audit", "--omit=dev", "--json"],
    { cwd: root, maxBuffer: 32 << 20 },
    (_error, out) => resolve(String(out)),
  ),
);
let report: AuditReport;
try {
  report = JSON.parse(stdout) as AuditReport;
} catch {
  report = { message: `npm audit printed no JSON: ${stdout.slice(0, 200)}` };
}
const verdict = judgeAudit(report, exceptions, new Date().toISOString().slice(0, 10));
if (verdict.kind === "unavailable") {
  console.log(`dependency audit: the advisory service is unavailable (${verdict.why})`);
  process.exitCode = values["allow-unavailable"] ? 0 : 2;
} else {
  for (const finding of verdict.excused)
    console.log(
      `excused ${finding.severity} ${finding.package}: ${finding.advisory} (${finding.reason})`,
    );
  for (const finding of verdict.blocking)
    console.log(
      `BLOCKING ${finding.severity} ${finding.package}: ${finding.title} ${finding.advisory}`,
    );
  console.log(
    `dependency audit: ${verdict.blocking.length} blocking, ${verdict.excused.length} excused`,
  );
  process.exitCode = verdict.blocking.length > 0 ? 1 : 0;
}
