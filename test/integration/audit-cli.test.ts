import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type AuditReport, verifyReport } from "../../src/audit/index.js";
import { Store } from "../../src/store/index.js";
import { silentLogger } from "../../src/log/index.js";
import { Simulator } from "../../src/sim/index.js";
import { runCamgate } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

describe("camgate audit", { timeout: 180_000 }, () => {
  const sim = new Simulator({
    baseIp: "127.0.22.10",
    cameras: 2,
    profile: "mixed",
    ffmpeg: "ffmpeg",
    multicast: false,
    discoveryPort: 43722,
  });
  before(() => sim.start());
  after(() => sim.stop());

  it("a wrong password is said first, in both languages, and the audit exits 1: it could not check", async (t) => {
    const dir = await tempDir(t, "camgate-audit-cli-");
    const config = join(dir, "camgate.yaml");
    writeFileSync(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${join(dir, "camgate.db")}\nsecrets:\n  keyFile: ${join(dir, "seal.key")}\n` +
        "audit:\n  probeTimeout: 3s\n  credentialTrySpacing: 0s\n",
    );
    const [hardened] = sim.describe();
    for (const [lang, first] of [
      [
        "en",
        /^CREDENTIALS REFUSED: camera 127\.0\.22\.10 refused the username or password given, so most controls could not be checked\. Fix: camgate cameras credentials 127\.0\.22\.10 -u USER --password-stdin$/,
      ],
      [
        "vi",
        /^TỪ CHỐI ĐĂNG NHẬP: camera 127\.0\.22\.10 không chấp nhận tên đăng nhập hoặc mật khẩu đã cho/,
      ],
    ] as const) {
      const refused = await runCamgate(
        [
          "--config",
          config,
          "audit",
          hardened!.address,
          "-u",
          hardened!.username,
          "--password-stdin",
          "--lang",
          lang,
        ],
        { input: "not-the-password\n" },
      );
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stdout.split("\n")[0] ?? "", first);
    }
    const json = await runCamgate(
      [
        "--config",
        config,
        "--json",
        "audit",
        hardened!.address,
        "-u",
        hardened!.username,
        "--password-stdin",
      ],
      { input: "not-the-password\n" },
    );
    assert.equal(json.code, 1);
    assert.deepEqual((JSON.parse(json.stdout) as AuditReport).access, {
      credentials: "refused",
      interrogation: "not-authorized",
    });
  });

  it("exits 3 on a weak camera, 0 on a hardened one, signs, stores and diffs", async (t) => {
    const dir = await tempDir(t, "camgate-audit-cli-");
    const config = join(dir, "camgate.yaml");
    const key = join(dir, "box.key");
    writeFileSync(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${join(dir, "camgate.db")}\nsecrets:\n  keyFile: ${join(dir, "seal.key")}\n` +
        `audit:\n  probeTimeout: 3s\n  credentialTrySpacing: 0s\nuplink:\n  key: ${key}\n`,
    );
    const keygen = await runCamgate([
      "--config",
      config,
      "cert",
      "keygen",
      "--key",
      key,
      "--bits",
      "2048",
    ]);
    assert.equal(keygen.code, 0, keygen.stderr);
    const [hardened, weak] = sim.describe();
    const audit = (camera: typeof hardened, extra: string[] = []) =>
      runCamgate(
        [
          "--config",
          config,
          "--json",
          "audit",
          camera!.address,
          "-u",
          camera!.username,
          "--password-stdin",
          ...extra,
        ],
        { input: `${camera!.password}\n` },
      );

    const good = await audit(hardened);
    assert.equal(good.code, 0, good.stderr);
    const goodReport = JSON.parse(good.stdout) as AuditReport;
    assert.equal(goodReport.summary.fail, 0);
    assert.equal(goodReport.baseline, "qcvn11-2026");
    assert.ok(goodReport.signature, "signed with the box key");
    assert.ok(verifyReport(goodReport, readFileSync(key, "utf8")), "the signature verifies");
    assert.ok(!good.stdout.includes(hardened!.password), "the password is in no report");

    const html = join(dir, "weak.html");
    const bad = await audit(weak, ["--html", html]);
    assert.equal(bad.code, 3, "a failing critical control exits 3");
    const badReport = JSON.parse(bad.stdout) as AuditReport;
    assert.deepEqual(Object.keys(badReport).sort(), [
      "access",
      "baseline",
      "camera",
      "controls",
      "finishedAt",
      "interpretation",
      "signature",
      "startedAt",
      "summary",
    ]);
    assert.deepEqual(Object.keys(badReport.controls[0]!).sort(), [
      "evidence",
      "id",
      "refs",
      "remediation",
      "severity",
      "status",
      "title",
    ]);
    assert.equal(badReport.camera.manufacturer, "HIKVISION");
    assert.match(readFileSync(html, "utf8"), /auth\.default-credentials/);

    const again = await audit(weak, ["--since-last", "--baseline", "qcvn135-2024"]);
    const diffed = JSON.parse(again.stdout) as AuditReport & {
      changes: { id: string; before: string; after: string }[];
    };
    assert.deepEqual(diffed.changes, [
      {
        id: "logging.system-log",
        title: diffed.controls.find((c) => c.id === "logging.system-log")!.title,
        before: "fail",
        after: "not_applicable",
      },
    ]);

    const store = new Store(join(dir, "camgate.db"), silentLogger());
    const repos = store.open();
    try {
      assert.equal(repos.auditReports.latest(`address:${weak!.address}`, 10).length, 2);
      assert.equal(repos.auditReports.latest(`address:${hardened!.address}`, 10).length, 1);
    } finally {
      store.close();
    }

    // site.locale and site.timezone are left to their defaults: Vietnamese, Asia/Ho_Chi_Minh.
    const table = await runCamgate(["--config", config, "audit", weak!.address, "--since-last"]);
    assert.equal(table.code, 3);
    assert.match(
      table.stdout,
      /KHÔNG ĐẠT\s+nghiêm trọng\s+auth\.unauthenticated-onvif\s+ONVIF trả lời mà không cần đăng nhập\n/,
    );
    assert.match(table.stdout, /tổng hợp: \d+ đạt, \d+ không đạt/);
    assert.match(table.stdout, /\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+07:00\) → /);
    const english = await runCamgate(["--config", config, "audit", weak!.address, "--lang", "en"]);
    assert.equal(english.code, 3);
    assert.match(
      english.stdout,
      /FAIL\s+critical\s+auth\.unauthenticated-onvif\s+ONVIF answers without a login\n/,
    );
    assert.match(
      english.stdout,
      /PASS\s+high\s+comms\.https-management\s+The camera's web page is available over HTTPS\n/,
    );
    assert.match(english.stdout, /summary: \d+ pass, \d+ fail/);
  });

  it("refuses an unknown opt-in id as a usage error", async () => {
    const result = await runCamgate(["audit", "127.0.22.10", "--enable", "auth.nope"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not an opt-in check: auth\.nope/);
  });
});
