import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTROLS } from "../../src/audit/catalogue.js";
import { renderTable } from "../../src/audit/report/render-table.js";
import type { AuditReport, ResultState } from "../../src/audit/types.js";

function reportWith(states: Record<string, ResultState>): AuditReport {
  const controls = CONTROLS.map((control) => ({
    id: control.id,
    title: control.title,
    severity: control.severity,
    status: states[control.id] ?? "pass",
    refs: control.refs,
    evidence: [],
    remediation: control.remediation,
  }));
  const summary = {
    pass: 0,
    fail: 0,
    unknown: 0,
    not_applicable: 0,
    manual: 0,
    skipped: 0,
    error: 0,
  };
  for (const control of controls) summary[control.status]++;
  return {
    camera: { id: "cam-01", address: "127.0.0.5", manufacturer: "Acme", model: "X1" },
    baseline: "qcvn11-2026",
    startedAt: "2026-12-02T18:21:53.000Z",
    finishedAt: "2026-12-02T18:22:40.000Z",
    summary,
    controls,
    interpretation: "",
  };
}

const report = reportWith({ "services.telnet": "fail", "time.ntp": "unknown" });

describe("the audit table", () => {
  it("puts each verdict after the statement it judges, in Vietnamese by default", () => {
    const lines = renderTable(report, { colour: false });
    const line = (id: string) => lines.find((l) => l.includes(` ${id} `)) ?? "";
    assert.match(
      line("services.telnet"),
      /^ {2}KHÔNG ĐẠT\s+nghiêm trọng\s+services\.telnet\s+Telnet đang mở$/,
    );
    assert.match(line("services.ftp"), /^ {2}ĐẠT\s+cao\s+services\.ftp\s+FTP đã đóng$/);
    assert.match(
      line("time.ntp"),
      /CHƯA XÁC ĐỊNH\s+trung bình\s+time\.ntp\s+Camera lấy giờ từ máy chủ NTP$/,
    );
    const fix = lines.find((l) => l.includes("khắc phục:")) ?? "";
    assert.equal(
      fix.trimStart(),
      "khắc phục: Tắt telnet; nếu firmware không cho tắt, hãy cập nhật firmware hoặc thay camera.",
    );
    assert.equal(
      fix.length - fix.trimStart().length,
      line("services.telnet").indexOf("services.telnet"),
      "the fix starts under the control id",
    );
    assert.equal(
      lines.filter((l) => l.includes("khắc phục:")).length,
      1,
      "a fix only for what failed",
    );
    assert.match(lines.at(-1)!, /^tổng hợp: \d+ đạt, 1 không đạt, 1 chưa xác định,/);
  });

  it("shows times in the site's zone, and English on request", () => {
    const vi = renderTable(report, { colour: false, timeZone: "Asia/Ho_Chi_Minh" });
    assert.equal(
      vi[1],
      "tiêu chuẩn qcvn11-2026 (QCVN 11:2026/BCA), 2026-12-03 01:21 (UTC+07:00) → 2026-12-03 01:22 (UTC+07:00)",
    );
    const en = renderTable(report, { colour: false, lang: "en", timeZone: "UTC" });
    assert.match(en[1]!, /2026-12-02 18:21 \(UTC\+00:00\) → 2026-12-02 18:22 \(UTC\+00:00\)$/);
    assert.ok(en.some((l) => /^ {2}FAIL\s+critical\s+services\.telnet\s+Telnet is open$/.test(l)));
    assert.ok(en.some((l) => /^ {2}PASS\s+high\s+services\.ftp\s+FTP is closed$/.test(l)));
    assert.match(en.at(-1)!, /^summary: \d+ pass, 1 fail, 1 unknown,/);
  });

  it("keeps the columns aligned in both languages", () => {
    for (const lang of ["vi", "en"] as const) {
      const rows = renderTable(report, { colour: false, lang }).filter((l) =>
        / (auth|services|time)\.[a-z-]+ /.test(l),
      );
      const columns = new Set(rows.map((l) => l.search(/ (auth|services|time)\./)));
      assert.equal(columns.size, 1, `${lang}: ${[...columns].join(",")}`);
    }
  });
});
