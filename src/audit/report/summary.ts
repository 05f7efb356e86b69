import { signEmbedded, verifyEmbedded } from "../../protocol/index.js";
import type { Severity } from "../catalogue.js";
import {
  type AuditReport,
  type AuditSummary,
  type ControlResult,
  RESULT_STATES,
  type ResultState,
} from "../types.js";

export function summarize(controls: readonly ControlResult[]): AuditSummary {
  const summary = Object.fromEntries(RESULT_STATES.map((state) => [state, 0])) as AuditSummary;
  for (const control of controls) summary[control.status]++;
  return summary;
}

const BLOCKING: readonly Severity[] = ["high", "critical"];

/** Exit 3 material: a failing control of severity high or critical. */
export function hasBlockingFailure(report: AuditReport): boolean {
  return report.controls.some(
    (control) => control.status === "fail" && BLOCKING.includes(control.severity),
  );
}

/** Signs the report (without its signature field) with the box's key. */
export function signReport(report: AuditReport, privateKeyPem: string): AuditReport {
  return signEmbedded(report, privateKeyPem);
}

export function verifyReport(report: AuditReport, publicKeyOrCertPem: string): boolean {
  return verifyEmbedded(report, publicKeyOrCertPem);
}

export interface ControlChange {
  id: string;
  title: string;
  before: ResultState | "absent";
  after: ResultState;
}

/** What changed since the previous report of the same camera (status per control id). */
export function diffReports(previous: AuditReport, current: AuditReport): ControlChange[] {
  const before = new Map(previous.controls.map((control) => [control.id, control.status]));
  return current.controls
    .filter((control) => before.get(control.id) !== control.status)
    .map((control) => ({
      id: control.id,
      title: control.title,
      before: before.get(control.id) ?? "absent",
      after: control.status,
    }));
}
