import type { Severity } from "../catalogue.js";
import type { AuditReport, ControlResult, ResultState } from "../types.js";
import { SEVERITY_ORDER } from "./words.js";

/** What the people-facing report is built from: the site's findings, grouped and ordered. */

export function cameraName(report: AuditReport): string {
  return report.camera.id ?? report.camera.address;
}

/** One problem and every camera that has it. */
export interface Finding {
  control: ControlResult;
  cameras: AuditReport[];
}

const rank = (severity: Severity) => SEVERITY_ORDER.indexOf(severity);

/**
 * Controls in `states` across all cameras, one entry per control: most severe first, then the
 * one that affects the most cameras, then catalogue order. A control's severity is the highest
 * any camera reported (a vulnerability known to be exploited is raised to critical).
 */
export function findings(
  reports: readonly AuditReport[],
  states: readonly ResultState[],
): Finding[] {
  const byId = new Map<string, Finding & { order: number }>();
  for (const report of reports) {
    report.controls.forEach((control, order) => {
      if (!states.includes(control.status)) return;
      const entry = byId.get(control.id);
      if (!entry) {
        byId.set(control.id, { control, cameras: [report], order });
        return;
      }
      entry.cameras.push(report);
      if (rank(control.severity) < rank(entry.control.severity)) entry.control = control;
    });
  }
  return [...byId.values()]
    .sort(
      (a, b) =>
        rank(a.control.severity) - rank(b.control.severity) ||
        b.cameras.length - a.cameras.length ||
        a.order - b.order,
    )
    .map(({ control, cameras }) => ({ control, cameras }));
}

/** Failing controls of one camera per severity. */
export function failuresBySeverity(report: AuditReport): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<Severity, number>;
  for (const control of report.controls) if (control.status === "fail") counts[control.severity]++;
  return counts;
}

export type CameraVerdict = "urgent" | "fix" | "unverified" | "ok";

/** The one-word conclusion for a camera in the site summary. */
export function cameraVerdict(report: AuditReport): CameraVerdict {
  const fails = report.controls.filter((control) => control.status === "fail");
  if (fails.some((control) => rank(control.severity) <= rank("high"))) return "urgent";
  if (fails.length > 0) return "fix";
  if (report.controls.some((c) => c.status === "unknown" || c.status === "error"))
    return "unverified";
  return "ok";
}

/** Failures first (most severe first), then what could not be verified, in catalogue order. */
export function attentionItems(report: AuditReport): ControlResult[] {
  const fails = report.controls
    .filter((control) => control.status === "fail")
    .sort((a, b) => rank(a.severity) - rank(b.severity));
  const open = report.controls.filter((c) => c.status === "unknown" || c.status === "error");
  return [...fails, ...open];
}

/** The span of the audits: earliest start, latest end. */
export function auditSpan(
  reports: readonly AuditReport[],
): { from: string; to: string } | undefined {
  const [first, ...rest] = reports;
  if (!first) return undefined;
  return rest.reduce(
    (span, r) => ({
      from: r.startedAt < span.from ? r.startedAt : span.from,
      to: r.finishedAt > span.to ? r.finishedAt : span.to,
    }),
    { from: first.startedAt, to: first.finishedAt },
  );
}
