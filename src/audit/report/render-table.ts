import {
  DEFAULT_LANG,
  DEFAULT_TIME_ZONE,
  formatDateTimeZone,
  type Lang,
} from "../../i18n/index.js";
import { BASELINE_TITLES } from "../catalogue.js";
import { evidenceIn } from "../evidence.js";
import { type AuditReport, RESULT_STATES, type ResultState } from "../types.js";
import type { ControlChange } from "./summary.js";
import { FAMILY_TITLE, SEVERITY_LABEL, STATUS_LABEL, statement, textOf } from "./words.js";

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

const WORDS = {
  en: {
    firmware: "firmware",
    baseline: "baseline",
    fix: "fix",
    noChange: "No change since the previous audit.",
    changes: "Changes since the previous audit:",
    summary: "summary",
    counts: {
      pass: "pass",
      fail: "fail",
      unknown: "unknown",
      manual: "manual",
      not_applicable: "n/a",
      skipped: "skipped",
      error: "error",
    } satisfies Record<ResultState, string>,
  },
  vi: {
    firmware: "firmware",
    baseline: "tiêu chuẩn",
    fix: "khắc phục",
    noChange: "Không có thay đổi so với lần kiểm tra trước.",
    changes: "Thay đổi so với lần kiểm tra trước:",
    summary: "tổng hợp",
    counts: {
      pass: "đạt",
      fail: "không đạt",
      unknown: "chưa xác định",
      manual: "thủ công",
      not_applicable: "không áp dụng",
      skipped: "bỏ qua",
      error: "lỗi",
    } satisfies Record<ResultState, string>,
  },
} as const;

export interface TableOptions {
  colour: boolean;
  changes?: ControlChange[];
  lang?: Lang;
  /** IANA zone the audit times are shown in. */
  timeZone?: string;
}

/**
 * The report for a terminal: grouped by family, each verdict after the statement it judges
 * ("Telnet is open  FAIL"), status coloured when `colour`, summary last.
 */
export function renderTable(report: AuditReport, options: TableOptions): string[] {
  const lang = options.lang ?? DEFAULT_LANG;
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const words = WORDS[lang];
  const labels = STATUS_LABEL[lang];
  const statusWidth = Math.max(...RESULT_STATES.map((s) => labels[s].length));
  const severityWidth = Math.max(...Object.values(SEVERITY_LABEL[lang]).map((s) => s.length));
  const paint = (status: ResultState) => {
    const label = labels[status].padEnd(statusWidth);
    return options.colour ? `${COLOURS[status]}${label}${RESET}` : label;
  };
  const indent = " ".repeat(2 + statusWidth + 1 + severityWidth + 1);
  const { camera } = report;
  const lines = [
    `${camera.id ?? camera.address} (${camera.address}) ${[camera.manufacturer, camera.model].filter(Boolean).join(" ")}${camera.firmwareVersion ? `, ${words.firmware} ${camera.firmwareVersion}` : ""}`,
    `${words.baseline} ${report.baseline} (${BASELINE_TITLES[report.baseline]}), ${formatDateTimeZone(report.startedAt, timeZone)} → ${formatDateTimeZone(report.finishedAt, timeZone)}`,
  ];
  let family = "";
  for (const control of report.controls) {
    const current = control.id.split(".")[0] ?? "";
    if (current !== family) {
      family = current;
      lines.push("", FAMILY_TITLE[lang][family] ?? family);
    }
    const last = control.evidence.findLast((e) => e.probe === "note");
    const headline = control.status === "fail" && last ? (evidenceIn(last, lang).note ?? "") : "";
    lines.push(
      `  ${paint(control.status)} ${SEVERITY_LABEL[lang][control.severity].padEnd(severityWidth)} ${control.id.padEnd(34)} ${statement(control, lang)}`,
    );
    if (headline) lines.push(`${indent}↳ ${headline}`);
    const fix = textOf(control, lang).fix;
    if (control.status === "fail" && fix) lines.push(`${indent}${words.fix}: ${fix}`);
  }
  if (options.changes) {
    lines.push("", options.changes.length === 0 ? words.noChange : words.changes);
    for (const change of options.changes)
      lines.push(
        `  ${change.id}: ${change.before === "absent" ? "—" : labels[change.before]} → ${labels[change.after]}`,
      );
  }
  const { summary } = report;
  lines.push(
    "",
    `${words.summary}: ${RESULT_STATES.map((s) => `${summary[s]} ${words.counts[s]}`).join(", ")}`,
  );
  return lines;
}
