import { BASELINE_TITLES } from "../catalogue.js";
import type { AuditReport, ResultState } from "../types.js";
import type { ControlChange } from "./summary.js";

const COLOURS: Record<ResultState, string> = {
  pass: "\x1b[32m",
  fail: "\x1b[31m",
  unknown: "\x1b[33m",
  not_applicable: "\x1b[90m",
  manual: "\x1b[36m",
  skipped: "\x1b[90m",
  error: "\x1b[35m",
};
const RESET = "\x1b[0m";

const FAMILY_TITLES: Record<string, string> = {
  auth: "Authentication",
  comms: "Communication",
  services: "Services and ports",
  firmware: "Firmware",
  vuln: "Known vulnerabilities",
  time: "Time",
  logging: "Logging",
  manual: "Manual checks",
};

/** The report for a terminal: grouped by family, status coloured when `colour`, summary last. */
export function renderTable(
  report: AuditReport,
  options: { colour: boolean; changes?: ControlChange[] },
): string[] {
  const paint = (status: ResultState) =>
    options.colour
      ? `${COLOURS[status]}${status.toUpperCase().padEnd(14)}${RESET}`
      : status.toUpperCase().padEnd(14);
  const { camera } = report;
  const lines = [
    `${camera.id ?? camera.address} (${camera.address}) ${[camera.manufacturer, camera.model].filter(Boolean).join(" ")}${camera.firmwareVersion ? `, firmware ${camera.firmwareVersion}` : ""}`,
    `baseline ${report.baseline} (${BASELINE_TITLES[report.baseline]}), ${report.startedAt} → ${report.finishedAt}`,
  ];
  let family = "";
  for (const control of report.controls) {
    const current = control.id.split(".")[0] ?? "";
    if (current !== family) {
      family = current;
      lines.push("", FAMILY_TITLES[family] ?? family);
    }
    const headline =
      control.status === "fail"
        ? (control.evidence.findLast((e) => e.probe === "note")?.note ?? "")
        : "";
    lines.push(
      `  ${paint(control.status)} ${control.severity.padEnd(8)} ${control.id.padEnd(34)} ${control.title}`,
    );
    if (headline) lines.push(`${" ".repeat(26)}↳ ${headline}`);
    if (control.remediation) lines.push(`${" ".repeat(26)}fix: ${control.remediation}`);
  }
  if (options.changes) {
    lines.push(
      "",
      options.changes.length === 0
        ? "No change since the previous audit."
        : "Changes since the previous audit:",
    );
    for (const change of options.changes)
      lines.push(`  ${change.id}: ${change.before} → ${change.after}`);
  }
  const { summary } = report;
  lines.push(
    "",
    `summary: ${summary.pass} pass, ${summary.fail} fail, ${summary.unknown} unknown, ${summary.manual} manual, ${summary.not_applicable} n/a, ${summary.skipped} skipped, ${summary.error} error`,
  );
  return lines;
}
