import { BASELINE_TITLES } from "../catalogue.js";
import type { AuditReport, ControlResult } from "../types.js";

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em} h2{font-size:1.15em;margin:1.5em 0 .3em;page-break-before:always}
h2:first-of-type{page-break-before:auto}
.meta{color:#555} .notice{font-size:.85em;color:#555;border-left:3px solid #ccc;padding-left:.6em}
table{border-collapse:collapse;width:100%;margin-top:.6em} th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f2f2f2} .s{font-weight:bold;text-transform:uppercase;white-space:nowrap}
.pass{color:#11772b}.fail{color:#b3001b}.unknown{color:#9a6700}.manual{color:#0a5c8a}.not_applicable,.skipped{color:#777}.error{color:#7a1fa2}
.summary span{display:inline-block;margin-right:1em}
pre{white-space:pre-wrap;word-break:break-word;margin:.2em 0;font-size:.85em;background:#fafafa}
@media print{body{margin:1cm}}`;

function refs(control: ControlResult): string {
  const { refs } = control;
  return [
    refs.qcvn135 ? `QCVN 135: ${refs.qcvn135.join(", ")}` : "",
    refs.qcvn11 ? `QCVN 11: ${refs.qcvn11.join(", ")}` : "",
    refs.d724 ? `D724: ${refs.d724}` : "",
    refs.en303645 ? `EN 303 645: ${refs.en303645.join(", ")}` : "",
  ]
    .filter(Boolean)
    .map(esc)
    .join("<br>");
}

function evidence(control: ControlResult): string {
  return control.evidence
    .map((item) =>
      [
        `<div><b>${esc(item.probe)}</b>`,
        item.sent ? `<pre>→ ${esc(item.sent)}</pre>` : "",
        item.received ? `<pre>← ${esc(item.received)}</pre>` : "",
        item.note ? `<div>${esc(item.note)}</div>` : "",
        "</div>",
      ].join(""),
    )
    .join("");
}

function cameraSection(report: AuditReport): string {
  const { camera, summary } = report;
  const rows = report.controls
    .map(
      (control) =>
        `<tr id="${esc(control.id)}"><td><code>${esc(control.id)}</code><br>${esc(control.title)}</td>` +
        `<td class="s ${control.status}">${esc(control.status.replace("_", " "))}</td><td>${esc(control.severity)}</td>` +
        `<td>${refs(control)}</td><td>${evidence(control)}${control.remediation ? `<div><b>Remediation:</b> ${esc(control.remediation)}</div>` : ""}</td></tr>`,
    )
    .join("\n");
  return (
    `<h2>${esc(camera.id ?? camera.address)} — ${esc(camera.address)}</h2>` +
    `<div class="meta">${esc([camera.manufacturer, camera.model].filter(Boolean).join(" ") || "unknown model")}` +
    `${camera.firmwareVersion ? `, firmware ${esc(camera.firmwareVersion)}` : ""}<br>` +
    `Baseline ${esc(report.baseline)} (${esc(BASELINE_TITLES[report.baseline])}); audited ${esc(report.startedAt)} to ${esc(report.finishedAt)}` +
    `${report.signature ? `; signed by key ${esc(report.signature.keyId.slice(0, 16))}…` : "; unsigned"}</div>` +
    `<div class="summary">${Object.entries(summary)
      .map(
        ([state, count]) =>
          `<span class="${state}">${esc(state.replace("_", " "))}: <b>${count}</b></span>`,
      )
      .join("")}</div>` +
    `<table><thead><tr><th>Control</th><th>Status</th><th>Severity</th><th>References</th><th>Evidence and remediation</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

/** One self-contained, printable page (no scripts, no external resources) for one or more cameras. */
export function renderHtml(
  reports: readonly AuditReport[],
  title = "camgate security audit",
): string {
  const notice = reports[0]?.interpretation ?? "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${STYLE}</style></head><body>
<h1>${esc(title)}</h1>
<p class="notice">${esc(notice)}</p>
${reports.map(cameraSection).join("\n")}
</body></html>
`;
}
