import type { Database } from "better-sqlite3";

export interface AuditReportRecord {
  id: number;
  cameraId: string;
  baseline: string;
  startedMs: number;
  finishedMs: number;
  summary: Record<string, number>;
  report: unknown;
  signature: string | null;
}

interface AuditReportRow {
  id: number;
  camera_id: string;
  baseline: string;
  started_ms: number;
  finished_ms: number;
  summary: string;
  report: string;
  signature: string | null;
}

function fromRow(row: AuditReportRow): AuditReportRecord {
  return {
    id: row.id,
    cameraId: row.camera_id,
    baseline: row.baseline,
    startedMs: row.started_ms,
    finishedMs: row.finished_ms,
    summary: JSON.parse(row.summary) as Record<string, number>,
    report: JSON.parse(row.report) as unknown,
    signature: row.signature,
  };
}

export class AuditReportRepository {
  constructor(private readonly db: Database) {}

  insert(report: Omit<AuditReportRecord, "id">): number {
    const result = this.db
      .prepare(
        `INSERT INTO audit_reports (camera_id, baseline, started_ms, finished_ms, summary, report, signature)
         VALUES (@cameraId, @baseline, @startedMs, @finishedMs, @summary, @report, @signature)`,
      )
      .run({
        ...report,
        summary: JSON.stringify(report.summary),
        report: JSON.stringify(report.report),
      });
    return Number(result.lastInsertRowid);
  }

  /** The newest reports of a camera, newest first (two of them make a --since-last diff). */
  latest(cameraId: string, count = 1): AuditReportRecord[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM audit_reports WHERE camera_id = ? ORDER BY finished_ms DESC, id DESC LIMIT ?",
      )
      .all(cameraId, count) as AuditReportRow[];
    return rows.map(fromRow);
  }
}
