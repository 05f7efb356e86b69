import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type AuditReport,
  auditCamera,
  loadAuditData,
  renderHtml,
  renderTable,
} from "../../src/audit/index.js";
import { Simulator } from "../../src/sim/index.js";
import { auditSettings } from "../helpers/audit.js";

/** Words of an English sentence; none of them is Vietnamese. */
const ENGLISH = /\b(the|is|are|was|with|without|not|no|and|checked|refused|open|answers?)\b/i;
/** Letters only Vietnamese writes (with their diacritics). */
const VIETNAMESE = /[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]/i;

/** A control's article of the HTML report, as text. */
function article(html: string, id: string): string {
  const start = html.indexOf(`data-control="${id}"`);
  assert.ok(start >= 0, `no article for ${id}`);
  return html
    .slice(start, html.indexOf("</article>", start))
    .replace(/<[^>]+>/g, " ")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, " ");
}

describe("audit evidence in the site owner's language", { timeout: 300_000 }, () => {
  // 0: weak (its password a factory default, telnet, no lockout...), audited with it;
  // 1: hardened, audited without credentials (the checks that need them say so).
  const sim = new Simulator({
    baseIp: "127.0.174.10",
    cameras: 2,
    profile: "hardened",
    ffmpeg: "ffmpeg",
    multicast: false,
    discoveryPort: 43774,
    override: (index) =>
      index === 0
        ? {
            weaknesses: {
              defaultCredentials: true,
              telnet: true,
              noLockout: true,
              legacyTls: true,
              weakCertificate: true,
              noNtp: true,
              extraAdminAccount: true,
            },
          }
        : undefined,
  });
  let weak: AuditReport;
  let unproven: AuditReport;

  before(async () => {
    await sim.start();
    const [first, second] = sim.describe();
    const data = loadAuditData();
    [weak, unproven] = await Promise.all([
      auditCamera(
        {
          host: first!.address,
          xaddr: first!.xaddr,
          cameraId: "cam-weak",
          credentials: { username: first!.username, password: first!.password },
        },
        auditSettings(),
        data,
      ),
      auditCamera(
        { host: second!.address, xaddr: second!.xaddr, cameraId: "cam-unproven" },
        auditSettings(),
        data,
      ),
    ]);
  });
  after(() => sim.stop());

  it("every remark camgate makes, and every request it describes, has its Vietnamese", () => {
    for (const report of [weak, unproven])
      for (const control of report.controls)
        for (const evidence of control.evidence) {
          const where = `${report.camera.id} ${control.id} ${evidence.probe}`;
          if (evidence.note !== undefined) {
            assert.ok(evidence.vi?.note, `${where}: "${evidence.note}" has no Vietnamese`);
            assert.match(evidence.vi.note, VIETNAMESE, where);
          }
          // A bare request line (GET URL) is the same in both; a described one is translated.
          if (evidence.sent !== undefined && !/^[A-Z]+ \S+( \{.*)?$/.test(evidence.sent))
            assert.ok(evidence.vi?.sent, `${where}: "${evidence.sent}" has no Vietnamese`);
        }
    assert.equal(weak.summary.fail > 3, true, "the weak camera fails several controls");
  });

  it("the vi table and HTML report give a known control's evidence in Vietnamese, with no English sentence", () => {
    const table = renderTable(weak, { colour: false, lang: "vi" });
    const telnet = table.findIndex((line) => line.includes("services.telnet"));
    assert.equal(
      table[telnet + 1]?.trim(),
      "↳ telnet: đã kiểm tra các cổng 23, 2323 (cổng chuẩn và các cổng thay thế mà hãng hay chuyển sang); đang mở: 23",
    );
    const headlines = table.filter((line) => line.trim().startsWith("↳"));
    assert.ok(headlines.length >= 4, table.join("\n"));
    for (const line of headlines) {
      assert.doesNotMatch(line, ENGLISH, line);
      assert.match(line, VIETNAMESE, line);
    }

    const html = renderHtml([weak, unproven], { lang: "vi" });
    const shown = article(html, "services.telnet");
    assert.ok(shown.includes("Kết nối TCP tới 127.0.174.10:23 (telnet), không đăng nhập"), shown);
    assert.ok(shown.includes("đã kiểm tra các cổng 23, 2323"), shown);
    for (const english of ["TCP connect", "no login", "ports checked", "the standard one"])
      assert.ok(!shown.includes(english), `"${english}" in: ${shown}`);
    const lockout = article(html, "auth.lockout-policy");
    assert.ok(lockout.includes("chức năng chống dò mật khẩu đang tắt"), lockout);
    assert.ok(lockout.includes("với thông tin đăng nhập đã khai báo"), lockout);
    assert.ok(!/brute-force|supplied credentials/.test(lockout), lockout);
    const accounts = article(html, "auth.accounts");
    assert.ok(accounts.includes("2 tài khoản quản trị: admin, guest"), accounts);
    const needsLogin = article(html.slice(html.indexOf('id="cam-cam-unproven"')), "auth.accounts");
    assert.ok(
      needsLogin.includes("Liệt kê tài khoản cần tên đăng nhập và mật khẩu của camera"),
      needsLogin,
    );
    assert.ok(!needsLogin.includes("needs the camera's credentials"), needsLogin);

    // English stays as it was, in the report and in the JSON record.
    const en = renderHtml([weak], { lang: "en" });
    assert.ok(article(en, "services.telnet").includes("telnet: ports checked 23, 2323"));
    assert.ok(!article(en, "services.telnet").includes("đã kiểm tra"));
    const json = weak.controls.find((c) => c.id === "auth.lockout-policy")!.evidence;
    assert.ok(json.some((e) => e.note === "brute-force protection is switched off"));
  });
});
