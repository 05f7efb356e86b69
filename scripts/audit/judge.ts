/** The parts of `npm audit --json` (npm 7+) this check reads. */
export interface AuditReport {
  vulnerabilities?: Record<
    string,
    {
      name: string;
      severity: "info" | "low" | "moderate" | "high" | "critical";
      via: (string | { source?: number; url?: string; title?: string; severity?: string })[];
    }
  >;
  /** Set instead when the advisory service could not be asked. */
  error?: { code?: string; summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

/** A high or critical advisory we ship with anyway, and the written reason why. */
export interface AuditException {
  /** The advisory's URL (https://github.com/advisories/GHSA-...). */
  advisory: string;
  package: string;
  reason: string;
  /** Date (YYYY-MM-DD) after which the exception no longer holds and must be looked at again. */
  reviewBy: string;
}

export interface Finding {
  package: string;
  severity: string;
  advisory: string;
  title: string;
}

export type AuditVerdict =
  | { kind: "unavailable"; why: string }
  | { kind: "judged"; blocking: Finding[]; excused: (Finding & { reason: string })[] };

const BLOCKING = new Set(["high", "critical"]);

/** Which high or critical advisories have no exception (or an expired one). */
export function judgeAudit(
  report: AuditReport,
  exceptions: readonly AuditException[],
  today: string,
): AuditVerdict {
  if (!report.vulnerabilities) {
    const why = report.error?.summary || report.message || "npm audit returned no report";
    // npm's message names the registry's URL; which registry is the machine's business.
    return {
      kind: "unavailable",
      why: why.replace(/\b[a-z]+:\/\/\S+/gi, "<registry>").slice(0, 300),
    };
  }
  const blocking: Finding[] = [];
  const excused: (Finding & { reason: string })[] = [];
  for (const entry of Object.values(report.vulnerabilities)) {
    for (const via of entry.via) {
      // A string names another vulnerable package; its own advisories are listed under it.
      if (typeof via === "string") continue;
      const severity = via.severity ?? entry.severity;
      if (!BLOCKING.has(severity)) continue;
      const finding = {
        package: entry.name,
        severity,
        advisory: via.url ?? `npm advisory ${via.source ?? "?"}`,
        title: via.title ?? "",
      };
      const exception = exceptions.find(
        (e) =>
          e.advisory === finding.advisory && e.package === finding.package && e.reviewBy >= today,
      );
      if (exception) excused.push({ ...finding, reason: exception.reason });
      else blocking.push(finding);
    }
  }
  return { kind: "judged", blocking, excused };
}
