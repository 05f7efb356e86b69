import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { type AuditReport, auditCamera, loadAuditData, renderHtml } from "../../src/audit/index.js";
import { type Lang, LANGS } from "../../src/i18n/index.js";
import { Simulator } from "../../src/sim/index.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { auditSettings } from "../helpers/audit.js";

/** Screenshots and PDFs a person looks at; git-ignored, kept after the run. */
const ARTIFACTS = join(REPO_ROOT, "test-artifacts", "audit-report");

/** A4 at 96 CSS pixels per inch. */
const A4_WIDTH_PX = Math.round((210 / 25.4) * 96);
const A4_POINTS = { width: 595.28, height: 841.89 };

const settings = auditSettings();

const SITE = {
  id: "hn-hoankiem-cp01",
  name: "Điểm kết nối tập trung Hoàn Kiếm 01",
  location: { description: "Tủ kỹ thuật, 12 Lý Thái Tổ, Hoàn Kiếm, Hà Nội" },
};

const EXPECT: Record<Lang, { summary: string; fixes: string; site: string; date: RegExp }> = {
  vi: {
    summary: "Tổng hợp toàn điểm",
    fixes: "Việc cần làm, gấp nhất trước",
    site: "Điểm kết nối",
    date: /Thời gian kiểm tra.*tháng.*\(UTC\+07:00\)/s,
  },
  en: {
    summary: "Site summary",
    fixes: "What to fix, most urgent first",
    site: "Site",
    date: /Audited.*\d{4}.*\(UTC\+07:00\)/s,
  },
};

describe("the HTML audit report in Chromium", { timeout: 300_000 }, () => {
  // 0 hardened audited without credentials (things left unverified), 1 weak (urgent fixes),
  // 2 hardened with only medium and low problems, 3 hardened and clean.
  const sim = new Simulator({
    baseIp: "127.0.52.10",
    cameras: 4,
    profile: "hardened",
    ffmpeg: "ffmpeg",
    multicast: false,
    discoveryPort: 43752,
    override: (index) =>
      index === 1
        ? { weaknesses: weakProfile() }
        : index === 2
          ? { weaknesses: { noNtp: true, upnp: true, preauthDisclosure: true } }
          : undefined,
  });
  let reports: AuditReport[] = [];

  before(async () => {
    await sim.start();
    const data = loadAuditData();
    reports = await Promise.all(
      sim.describe().map((camera, index) =>
        auditCamera(
          {
            host: camera.address,
            xaddr: camera.xaddr,
            cameraId: `cam-${String(index + 1).padStart(2, "0")}`,
            credentials:
              index === 0 ? undefined : { username: camera.username, password: camera.password },
          },
          settings,
          data,
        ),
      ),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await sim.stop();
  });

  it("audits give the report something in every verdict", () => {
    assert.ok(reports[1]!.controls.some((c) => c.status === "fail" && c.severity === "critical"));
    assert.ok(reports[0]!.controls.some((c) => c.status === "unknown"));
    assert.equal(reports[3]!.summary.fail, 0);
  });

  it("keeps the evidence readable: the user name and the words around a secret stay", () => {
    const evidence = (report: AuditReport, id: string) =>
      report.controls
        .find((c) => c.id === id)!
        .evidence.flatMap((e) => [e.sent, e.received, e.note])
        .filter((text): text is string => text !== undefined);
    assert.ok(
      evidence(reports[0]!, "auth.default-credentials").some((text) =>
        /^(ONVIF|GET|DESCRIBE) \S+ as admin with a factory password$/.test(text),
      ),
      evidence(reports[0]!, "auth.default-credentials").join("\n"),
    );
    const users = evidence(reports[1]!, "auth.accounts").join("\n");
    assert.match(users, /Username=admin;/);
    assert.match(users, /Username=guest;/);
    for (const report of reports)
      for (const control of report.controls)
        for (const text of evidence(report, control.id))
          assert.doesNotMatch(text, /\[redacted\]\w|\w\[redacted\]/, `${control.id}: ${text}`);
  });

  for (const lang of LANGS) {
    it(`renders in ${lang}: header, summary, fixes first, nothing wider than A4, prints to A4`, async (t) => {
      // A fresh profile for each run: nothing from an earlier browser session leaks in.
      const profile = await tempDir(t, `camgate-chromium-${lang}-`);
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        viewport: { width: A4_WIDTH_PX, height: 1123 },
      });
      t.after(() => browser.close());
      const html = renderHtml(reports, {
        lang,
        timeZone: "Asia/Ho_Chi_Minh",
        site: SITE,
        box: "camgate-box-01",
      });
      const file = join(ARTIFACTS, `report-${lang}.html`);
      writeFileSync(file, html);
      const page = await browser.newPage();
      try {
        await page.goto(`file://${file}`);
        const text = await page.locator("body").innerText();

        // First page: site, box, date in the site's zone, baseline and its caveat, once.
        const cover = await page.locator("header.cover").innerText();
        assert.ok(cover.includes(EXPECT[lang].site) && cover.includes(SITE.name), cover);
        assert.ok(cover.includes("camgate-box-01"), cover);
        assert.match(cover, EXPECT[lang].date);
        assert.ok(cover.includes("QCVN 11:2026/BCA"), cover);
        assert.equal(text.split("G1..G11").length - 1, 1, "the baseline caveat is stated once");

        // The site summary: one row per camera, in the right column.
        const rows = page.locator("section.summary tbody tr");
        assert.equal(await rows.count(), reports.length);
        for (const [index, report] of reports.entries()) {
          const cells = await rows.nth(index).locator("td").allInnerTexts();
          const critical = report.controls.filter(
            (c) => c.status === "fail" && c.severity === "critical",
          ).length;
          assert.equal(cells[1], critical > 0 ? String(critical) : "·", `${lang} row ${index}`);
        }
        assert.ok(text.includes(EXPECT[lang].summary));

        // The fix list: every failing control once, most severe first, with its cameras.
        assert.ok(text.includes(EXPECT[lang].fixes));
        const fixes = page.locator("ol.fixlist > li");
        const failing = new Set(
          reports.flatMap((r) => r.controls.filter((c) => c.status === "fail").map((c) => c.id)),
        );
        assert.equal(await fixes.count(), failing.size);
        const severities = await fixes.locator(".sev").allInnerTexts();
        assert.equal(severities[0], lang === "vi" ? "nghiêm trọng" : "critical");
        const first = await fixes.nth(0).innerText();
        assert.match(first, /cam-02/);

        // Per camera: failures and unknowns expanded, passes folded.
        const weak = page.locator("#cam-cam-02");
        assert.equal(await weak.locator("article.item.fail").count(), reports[1]!.summary.fail);
        assert.equal(await weak.locator("details.passed[open]").count(), 0);
        const telnet = await weak
          .locator('article[data-control="services.telnet"] .head')
          .innerText();
        assert.match(
          telnet,
          lang === "vi" ? /^Telnet đang mở: KHÔNG ĐẠT/ : /^Telnet is open: FAIL/,
        );
        // Its evidence in the same language: camgate's words translated, the camera's kept.
        const telnetEvidence = await weak
          .locator('article[data-control="services.telnet"] .evidence')
          .innerText();
        assert.match(
          telnetEvidence,
          lang === "vi" ? /đã kiểm tra các cổng 23, 2323/ : /ports checked 23, 2323/,
        );
        if (lang === "vi")
          assert.doesNotMatch(telnetEvidence, /ports checked|TCP connect|no login/);

        // Redaction removed secrets only: no half-words, no user name taken for a password.
        // (Short messages: a failing match on the whole page would print all of it.)
        const garbled = /\[redacted\]\w|\w\[redacted\]|‹[^›\n]{1,20}›\w/.exec(text);
        assert.equal(garbled, null, `garbled evidence: ${garbled?.[0]}`);
        assert.ok(
          text.includes("Username=admin; UserLevel=Administrator"),
          "the extra administrator's user name is in the evidence",
        );
        for (const camera of sim.describe().slice(1))
          assert.ok(!html.includes(camera.password), "no camera password in the report");

        // Nothing is wider than an A4 page.
        // (Functions run in the page are given as text: this project compiles without the DOM types.)
        const overflowing = await page.evaluate<string[]>(OVERFLOWING_ELEMENTS);
        assert.deepEqual(overflowing, []);
        assert.ok(
          (await page.evaluate<number>("document.documentElement.scrollWidth")) <= A4_WIDTH_PX,
          "no horizontal scroll at A4 width",
        );

        await page.screenshot({ path: join(ARTIFACTS, `report-${lang}.png`), fullPage: true });
        await page.emulateMedia({ media: "print" });
        await page.screenshot({
          path: join(ARTIFACTS, `report-${lang}-print.png`),
          fullPage: true,
        });
        const pdf = await page.pdf({
          format: "A4",
          preferCSSPageSize: true,
          printBackground: true,
        });
        writeFileSync(join(ARTIFACTS, `report-${lang}.pdf`), pdf);
        assertA4Pdf(pdf, reports.length);
      } finally {
        await page.close();
      }
    });
  }
});

/** Boxes that stick out of the page or scroll sideways, as "TAG.class: width". */
const OVERFLOWING_ELEMENTS = `(() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((element) => getComputedStyle(element).display !== "inline")
    .filter((element) => {
      const box = element.getBoundingClientRect();
      return box.right > width + 1 || element.scrollWidth > element.clientWidth + 1;
    })
    .map((element) => element.tagName + "." + element.className + ": " + element.scrollWidth);
})()`;

function weakProfile() {
  return {
    defaultCredentials: true,
    telnet: true,
    unauthenticatedRtsp: true,
    noLockout: true,
    cleartextManagement: true,
    legacyTls: true,
    upnp: true,
    noNtp: true,
    extraAdminAccount: true,
  };
}

/** Every page is A4 portrait, and each camera starts a page after the first pages. */
function assertA4Pdf(pdf: Buffer, cameras: number): void {
  const text = pdf.toString("latin1");
  assert.ok(text.startsWith("%PDF-"), "a PDF");
  const pages = text.match(/\/Type\s*\/Page\b(?!s)/g) ?? [];
  assert.ok(pages.length >= cameras + 1, `${pages.length} pages for ${cameras} cameras`);
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)];
  assert.ok(boxes.length > 0, "pages have a MediaBox");
  for (const [, width, height] of boxes) {
    assert.ok(Math.abs(Number(width) - A4_POINTS.width) < 1, `page width ${width}`);
    assert.ok(Math.abs(Number(height) - A4_POINTS.height) < 1, `page height ${height}`);
  }
}
