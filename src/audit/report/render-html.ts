import {
  DEFAULT_LANG,
  DEFAULT_TIME_ZONE,
  formatDateTime,
  formatLongDate,
  type Lang,
  utcOffset,
} from "../../i18n/index.js";
import { REDACTED } from "../../log/index.js";
import { BASELINE_TITLES } from "../catalogue.js";
import { evidenceIn } from "../evidence.js";
import type { AuditReport, ControlResult, ResultState } from "../types.js";
import { HTML_WORDS, type HtmlWords, INTERPRETATION } from "./html-words.js";
import {
  attentionItems,
  auditSpan,
  cameraName,
  cameraVerdict,
  failuresBySeverity,
  type Finding,
  findings,
} from "./report-model.js";
import { REPORT_STYLE } from "./report-style.js";
import {
  SEVERITY_LABEL,
  SEVERITY_ORDER,
  STATUS_LABEL,
  STATUS_MEANING,
  statement,
  textOf,
} from "./words.js";

/** Who the report is for and how to show it; everything is optional. */
export interface HtmlReportOptions {
  lang?: Lang;
  /** IANA zone the dates are shown in (the JSON reports stay UTC). */
  timeZone?: string;
  site?: { id: string; name?: string; location?: { description?: string } };
  /** The box's host name. */
  box?: string;
  /** When the report is made (default: now). */
  now?: Date;
  title?: string;
}

interface Page {
  lang: Lang;
  words: HtmlWords;
  timeZone: string;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escaped evidence text, with each removed secret shown as a marked gap rather than a word. */
function evidenceText(text: string, page: Page): string {
  return text
    .split(REDACTED)
    .map(esc)
    .join(`<span class="redacted">‹${esc(page.words.redacted)}›</span>`);
}

function badge(status: ResultState, page: Page): string {
  return `<span class="badge ${status}">${esc(STATUS_LABEL[page.lang][status])}</span>`;
}

function severityTag(control: ControlResult, page: Page): string {
  return `<span class="sev ${control.severity}">${esc(SEVERITY_LABEL[page.lang][control.severity])}</span>`;
}

/** "Thứ Năm, 3 tháng 12, 2026, 01:23–01:31 (UTC+07:00)". */
function when(from: string, to: string, page: Page): string {
  const start = formatDateTime(from, page.timeZone);
  const end = formatDateTime(to, page.timeZone);
  const endShown = end.slice(0, 10) === start.slice(0, 10) ? end.slice(11, 16) : end.slice(0, 16);
  return `${formatLongDate(from, page.timeZone, page.lang)}, ${start.slice(11, 16)}–${endShown} (UTC${utcOffset(from, page.timeZone)})`;
}

function cover(reports: readonly AuditReport[], options: HtmlReportOptions, page: Page): string {
  const { words } = page;
  const span = auditSpan(reports);
  const now = options.now ?? new Date();
  const keys = [...new Set(reports.map((r) => r.signature?.keyId).filter(Boolean))] as string[];
  const baselines = [...new Set(reports.map((r) => BASELINE_TITLES[r.baseline] ?? r.baseline))];
  const box = [
    options.box ?? "",
    keys.length > 0
      ? `${words.signedBy} ${keys.map((k) => k.slice(0, 16)).join(", ")}…`
      : words.unsigned,
  ]
    .filter(Boolean)
    .join(", ");
  const facts: [string, string][] = [
    ...(options.site
      ? [
          [
            words.site,
            options.site.name ? `${options.site.name} (${options.site.id})` : options.site.id,
          ] as [string, string],
        ]
      : []),
    ...(options.site?.location?.description
      ? [[words.location, options.site.location.description] as [string, string]]
      : []),
    [words.box, box],
    ...(span ? [[words.auditedAt, when(span.from, span.to, page)] as [string, string]] : []),
    [
      words.printedAt,
      `${formatDateTime(now, page.timeZone).slice(0, 16)} (UTC${utcOffset(now, page.timeZone)})`,
    ],
    [words.baseline, baselines.join(", ")],
  ];
  const verdicts = reports.map(cameraVerdict);
  const urgent = verdicts.filter((v) => v === "urgent").length;
  const fix = verdicts.filter((v) => v === "fix").length;
  return (
    `<header class="cover"><h1>${esc(options.title ?? words.title)}</h1>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>` +
    `<p class="headline ${urgent > 0 ? "bad" : fix > 0 ? "warn" : "good"}">${esc(words.headline(urgent, fix, reports.length))}</p>` +
    `<p class="notice"><b>${esc(words.caveatTitle)}:</b> ${esc(INTERPRETATION[page.lang])}</p></header>`
  );
}

function summaryTable(reports: readonly AuditReport[], page: Page): string {
  const { words, lang } = page;
  const head =
    `<tr><th rowspan="2">${esc(words.camera)}</th><th colspan="${SEVERITY_ORDER.length}">${esc(words.failing)}</th>` +
    `<th rowspan="2">${esc(words.unverified)}</th><th rowspan="2">${esc(words.passed)}</th><th rowspan="2">${esc(words.verdict)}</th></tr>` +
    `<tr>${SEVERITY_ORDER.map((s) => `<th class="num sev-head ${s}">${esc(SEVERITY_LABEL[lang][s])}</th>`).join("")}</tr>`;
  const rows = reports.map((report) => {
    const fails = failuresBySeverity(report);
    const verdict = cameraVerdict(report);
    const cells = SEVERITY_ORDER.map(
      (s) => `<td class="num${fails[s] > 0 ? ` hit ${s}` : ""}">${fails[s] || "·"}</td>`,
    ).join("");
    return (
      `<tr><td><a href="#cam-${esc(anchor(report))}">${esc(cameraName(report))}</a><br><small>${esc(report.camera.address)}</small></td>${cells}` +
      `<td class="num">${report.summary.unknown + report.summary.error || "·"}</td><td class="num">${report.summary.pass}</td>` +
      `<td class="verdict ${verdict}">${esc(words.verdicts[verdict])}</td></tr>`
    );
  });
  return `<section class="summary"><h2>${esc(words.summaryTitle)}</h2><table class="grid"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function cameraList(finding: Finding): string {
  return finding.cameras
    .map((r) => `<a href="#cam-${esc(anchor(r))}">${esc(cameraName(r))}</a>`)
    .join(", ");
}

function fixList(reports: readonly AuditReport[], page: Page): string {
  const { words, lang } = page;
  const fails = findings(reports, ["fail"]);
  const open = findings(reports, ["unknown", "error"]);
  const manual = findings(reports, ["manual"]);
  const fixes = fails.map(
    (f) =>
      `<li class="fix">${severityTag(f.control, page)} <b>${esc(textOf(f.control, lang).problem)}</b>` +
      `<p>${esc(textOf(f.control, lang).fix)}</p><p class="cams">${esc(words.onCameras)} (${f.cameras.length}): ${cameraList(f)}</p></li>`,
  );
  const recheck = open.map(
    (f) =>
      `<li>${f.control.status === "error" ? `${badge("error", page)} ` : ""}${esc(textOf(f.control, lang).ok)} <span class="cams">— ${cameraList(f)}</span></li>`,
  );
  const byHand = manual.map(
    (f) =>
      `<li><b>${esc(textOf(f.control, lang).ok)}</b><p>${esc(textOf(f.control, lang).fix)}</p></li>`,
  );
  return (
    `<section class="fixes"><h2>${esc(words.fixesTitle)}</h2>` +
    (fixes.length > 0
      ? `<p>${esc(words.fixesIntro)}</p><ol class="fixlist">${fixes.join("")}</ol>`
      : `<p>${esc(words.noFixes)}</p>`) +
    (recheck.length > 0
      ? `<h3>${esc(words.recheckTitle)}</h3><p>${esc(words.recheckIntro)}</p><ul class="recheck">${recheck.join("")}</ul>`
      : "") +
    (byHand.length > 0
      ? `<h3>${esc(words.manualTitle)}</h3><p>${esc(words.manualIntro)}</p><ul class="byhand">${byHand.join("")}</ul>`
      : "") +
    `</section>`
  );
}

function legend(page: Page): string {
  const { words, lang } = page;
  const states: ResultState[] = [
    "fail",
    "pass",
    "unknown",
    "manual",
    "skipped",
    "not_applicable",
    "error",
  ];
  return (
    `<section class="legend"><h2>${esc(words.legendTitle)}</h2><dl>` +
    states
      .map((s) => `<dt>${badge(s, page)}</dt><dd>${esc(STATUS_MEANING[lang][s])}</dd>`)
      .join("") +
    `</dl><p>${SEVERITY_ORDER.map((s) => `<span class="sev ${s}">${esc(SEVERITY_LABEL[lang][s])}</span>`).join(" ")} — ${esc(words.severityMeaning)}</p></section>`
  );
}

function refs(control: ControlResult, page: Page): string {
  const { refs } = control;
  return [
    refs.qcvn135 ? `QCVN 135: ${refs.qcvn135.join(", ")}` : "",
    refs.qcvn11 ? `QCVN 11: ${refs.qcvn11.join(", ")}` : "",
    refs.d724 ? `${page.words.decision724}: ${refs.d724}` : "",
    refs.en303645 ? `EN 303 645: ${refs.en303645.join(", ")}` : "",
  ]
    .filter(Boolean)
    .map(esc)
    .join(" · ");
}

function evidence(control: ControlResult, page: Page): string {
  if (control.evidence.length === 0) return "";
  const items = control.evidence.map((item) => {
    const { sent, received, note } = evidenceIn(item, page.lang);
    return (
      `<div class="ev">${item.probe === "note" ? "" : `<code>${esc(item.probe)}</code>`}` +
      (sent ? `<pre>→ ${evidenceText(sent, page)}</pre>` : "") +
      (received ? `<pre>← ${evidenceText(received, page)}</pre>` : "") +
      (note ? `<div class="note">${evidenceText(note, page)}</div>` : "") +
      `</div>`
    );
  });
  return `<div class="evidence"><div class="label">${esc(page.words.evidence)}</div>${items.join("")}</div>`;
}

function attention(control: ControlResult, page: Page): string {
  const text = textOf(control, page.lang);
  return (
    `<article class="item ${control.status}" data-control="${esc(control.id)}">` +
    `<div class="head"><span class="stmt">${esc(statement(control, page.lang))}:</span> ${badge(control.status, page)} ${severityTag(control, page)}</div>` +
    (control.status === "fail" && text.fix
      ? `<p class="howto"><b>${esc(page.words.howToFix)}:</b> ${esc(text.fix)}</p>`
      : "") +
    `<p class="refs"><code>${esc(control.id)}</code> · ${esc(page.words.references)}: ${refs(control, page)}</p>` +
    evidence(control, page) +
    `</article>`
  );
}

function anchor(report: AuditReport): string {
  return (report.camera.id ?? report.camera.address).replace(/[^A-Za-z0-9_.-]/g, "-");
}

function cameraSection(report: AuditReport, page: Page): string {
  const { words, lang } = page;
  const { camera } = report;
  const model = [camera.manufacturer, camera.model].filter(Boolean).join(" ") || words.unknownModel;
  const items = attentionItems(report);
  const passed = report.controls.filter((c) => c.status === "pass");
  const others = report.controls.filter((c) =>
    ["manual", "skipped", "not_applicable"].includes(c.status),
  );
  const verdict = cameraVerdict(report);
  return (
    `<section class="camera" id="cam-${esc(anchor(report))}">` +
    `<h2>${esc(cameraName(report))} <small>${esc(camera.address)}</small> <span class="verdict ${verdict}">${esc(words.verdicts[verdict])}</span></h2>` +
    `<p class="meta">${esc(words.model)}: ${esc(model)}${camera.firmwareVersion ? `, ${esc(words.firmware)} ${esc(camera.firmwareVersion)}` : ""}` +
    ` · ${esc(words.auditedAt)}: ${esc(when(report.startedAt, report.finishedAt, page))}</p>` +
    (items.length > 0
      ? items.map((control) => attention(control, page)).join("")
      : `<p class="good">${esc(words.nothingToFix)}</p>`) +
    (others.length > 0
      ? `<h3>${esc(words.otherStates)}</h3><ul class="others">${others
          .map(
            (c) =>
              `<li data-control="${esc(c.id)}">${badge(c.status, page)} ${esc(textOf(c, lang).ok)}</li>`,
          )
          .join("")}</ul>`
      : "") +
    (passed.length > 0
      ? `<details class="passed"><summary>${esc(words.passedFolded(passed.length))} <span class="hint">(${esc(words.showHint)})</span></summary><ul>${passed
          .map(
            (c) =>
              `<li data-control="${esc(c.id)}">${esc(statement(c, lang))}: ${badge(c.status, page)}</li>`,
          )
          .join("")}</ul></details>`
      : "") +
    `</section>`
  );
}

/**
 * The audit of a site as one self-contained, printable page (no scripts, no external resources):
 * a first page with the site, box, date and baseline; the site summary; the fixes across all
 * cameras, most urgent first; a legend; then each camera with only its problems expanded.
 */
export function renderHtml(
  reports: readonly AuditReport[],
  options: HtmlReportOptions = {},
): string {
  const lang = options.lang ?? DEFAULT_LANG;
  const page: Page = {
    lang,
    words: HTML_WORDS[lang],
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
  };
  const title = options.title ?? page.words.title;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)}${options.site ? ` · ${esc(options.site.name ?? options.site.id)}` : ""}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${REPORT_STYLE}</style></head><body>
${cover(reports, options, page)}
${summaryTable(reports, page)}
${fixList(reports, page)}
${legend(page)}
${reports.map((report) => cameraSection(report, page)).join("\n")}
</body></html>
`;
}
