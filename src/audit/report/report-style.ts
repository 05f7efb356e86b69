/** The HTML report's style sheet: readable on screen, A4 when printed, nothing wider than the page. */
export const REPORT_STYLE = `
@page{size:A4;margin:14mm 12mm}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:14px/1.45 "Noto Sans","DejaVu Sans",system-ui,sans-serif;margin:0 auto;padding:1.5em;max-width:60em;color:#1d1d1d;overflow-wrap:anywhere}
h1{font-size:1.6em;margin:0 0 .6em}
h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:2px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .4em}
p{margin:.35em 0}
small{color:#555;font-weight:normal}
a{color:inherit}
code{font-size:.9em}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em;margin:0 0 1em}
.facts dt{color:#555}.facts dd{margin:0;font-weight:600}
.headline{font-size:1.1em;font-weight:600;padding:.5em .7em;border-radius:4px}
.headline.bad{background:#fde8ea;color:#8a0014}.headline.warn{background:#fff4d6;color:#6b4a00}.headline.good{background:#e5f5e9;color:#0d5c22}
.notice{font-size:.85em;color:#555;border-left:3px solid #ccc;padding-left:.6em}
table.grid{border-collapse:collapse;width:100%}
.grid th,.grid td{border:1px solid #ccc;padding:.3em .45em;vertical-align:top;text-align:left}
.grid th{background:#f2f2f2;font-weight:600;overflow-wrap:normal;hyphens:manual}
.grid .num{text-align:center;width:5.2em}
.grid td.hit{font-weight:700}
.badge{display:inline-block;font-weight:700;font-size:.8em;padding:0 .4em;border-radius:3px;border:1px solid currentColor;white-space:nowrap}
.sev{display:inline-block;font-size:.8em;padding:0 .4em;border-radius:3px;background:#eee;color:#333;white-space:nowrap}
.sev.critical{background:#8a0014;color:#fff}.sev.high{background:#d9480f;color:#fff}.sev.medium{background:#f4c542;color:#222}.sev.low{background:#cfe3f3}
.hit.critical{color:#8a0014}.hit.high{color:#c0390b}.hit.medium{color:#8a6400}
.badge.pass{color:#11772b}.badge.fail{color:#b3001b}.badge.unknown{color:#9a6700}.badge.manual{color:#0a5c8a}.badge.not_applicable,.badge.skipped{color:#666}.badge.error{color:#7a1fa2}
.verdict{font-weight:700;white-space:nowrap}
.verdict.urgent{color:#b3001b}.verdict.fix{color:#b35c00}.verdict.unverified{color:#9a6700}.verdict.ok{color:#11772b}
h2 .verdict{font-size:.75em;margin-left:.4em}
ol.fixlist{padding-left:1.6em}
ol.fixlist li,ul.byhand li{margin:.2em 0 .7em;break-inside:avoid}
ul.recheck li{margin:.15em 0;break-inside:avoid}
.cams{color:#444;font-size:.92em}
.legend dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em .8em;margin:.3em 0 .6em}
.legend dd{margin:0}
.camera{break-before:page}
.meta{color:#444}
.item{border:1px solid #ddd;border-left:4px solid #999;border-radius:3px;padding:.45em .6em;margin:.6em 0;break-inside:avoid}
.item.fail{border-left-color:#b3001b}.item.unknown{border-left-color:#d9a400}.item.error{border-left-color:#7a1fa2}
.item .head{font-size:1.02em}
.item .stmt{font-weight:700;color:#1d1d1d}
.howto{background:#f7f7f7;padding:.3em .5em;border-radius:3px}
.refs{font-size:.8em;color:#666}
.evidence{font-size:.8em;color:#333;margin-top:.3em}
.evidence .label{color:#666;font-style:italic}
.ev{margin:.2em 0 .3em .6em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.1em 0;padding:.15em .3em;background:#fafafa;font-size:.95em;max-height:none}
.redacted{font-style:italic;color:#777;background:#eee;border-radius:2px;padding:0 .2em}
ul.others{list-style:none;padding-left:0}
ul.others li{margin:.2em 0}
details.passed{margin:.8em 0}
details.passed summary{cursor:pointer;color:#11772b;font-weight:600}
.good{color:#11772b;font-weight:600}
@media print{body{padding:0;max-width:none;font-size:10.5pt}a{text-decoration:none}.hint{display:none}}
`;
