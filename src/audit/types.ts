import type { EmbeddedSignature as ReportSignature } from "../protocol/index.js";
import type { OnvifErrorKind } from "../discovery/index.js";
import type { BaselineId, ControlRefs, Severity } from "./catalogue.js";

export const RESULT_STATES = [
  "pass",
  "fail",
  "unknown",
  "not_applicable",
  "manual",
  "skipped",
  "error",
] as const;
export type ResultState = (typeof RESULT_STATES)[number];

/** The parts of an evidence record that are text a person reads. */
export interface EvidenceText {
  sent?: string;
  received?: string;
  note?: string;
}

/**
 * One probe's record: what was sent and what came back, trimmed, secrets removed. The fields are
 * in English; `vi` holds those of them that are camgate's own words, in Vietnamese (what the
 * camera said reads the same in both, and is not repeated).
 */
export interface Evidence extends EvidenceText {
  probe: string;
  vi?: EvidenceText;
}

/** What a check concludes; the runner adds the catalogue's title, refs and remediation. */
export interface CheckOutcome {
  status: ResultState;
  evidence: Evidence[];
  /** Overrides the catalogue severity (a vulnerability known to be exploited is critical). */
  severity?: Severity;
}

export interface ControlResult {
  id: string;
  title: string;
  severity: Severity;
  status: ResultState;
  refs: ControlRefs;
  evidence: Evidence[];
  remediation?: string;
}

export type AuditSummary = Record<ResultState, number>;

export type { ReportSignature };

export interface AuditReport {
  camera: {
    id?: string;
    address: string;
    manufacturer?: string;
    model?: string;
    firmwareVersion?: string;
  };
  baseline: BaselineId;
  startedAt: string;
  finishedAt: string;
  summary: AuditSummary;
  /**
   * Whether the audit could look at the camera at all: the technician's credentials (refused:
   * most checks could not run) and the ONVIF interrogation (its error, when it failed).
   */
  access?: {
    credentials: "none" | "unproven" | "accepted" | "refused";
    /** onvif-off: the camera was added by its RTSP URL; what needs ONVIF was skipped. */
    interrogation: "ok" | "onvif-off" | OnvifErrorKind;
  };
  controls: ControlResult[];
  interpretation: string;
  signature?: ReportSignature;
}
