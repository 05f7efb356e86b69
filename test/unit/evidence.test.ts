import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuditContext } from "../../src/audit/context.js";
import { EvidenceScrubber } from "../../src/audit/evidence.js";
import { loadAuditData } from "../../src/audit/vendor-data.js";
import { auditSettings } from "../helpers/audit.js";

const settings = auditSettings({ probeTimeoutMs: 1000, runTimeoutMs: 10_000 });

/** The scrubber an audit of a camera with these credentials uses. */
function auditScrubber(password: string, username = "admin"): EvidenceScrubber {
  return new AuditContext(
    {
      host: "127.0.0.5",
      xaddr: "http://127.0.0.5/onvif/device_service",
      credentials: { username, password },
    },
    settings,
    loadAuditData(),
    new AbortController().signal,
  ).scrub;
}

describe("evidence scrubbing removes the secret and nothing else", () => {
  it("leaves the words around a factory password alone (was 'as [redacted] with a factory [redacted]word')", () => {
    const scrub = auditScrubber("Cg!Strong7a");
    for (const text of [
      "GET http://127.0.0.5/ as admin with a factory password",
      "DESCRIBE rtsp://127.0.0.5:554/Streaming/Channels/101 as admin with a factory password",
      "3 factory passwords refused on ONVIF, HTTP, RTSP",
      "factory pair #1 (admin) on ONVIF: refused",
    ])
      assert.equal(scrub.text(text), text);
  });

  it("keeps a user name that is also a factory password (was 'Username=[redacted]' beside 'admin')", () => {
    const scrub = auditScrubber("Cg!Strong7a");
    const users =
      "<GetUsersResponse>; <User>; Username=admin; UserLevel=Administrator; Username=guest; UserLevel=User";
    assert.equal(scrub.text(users), users);
    assert.equal(
      scrub.text("the credentials supplied for this camera (user admin) are a factory default"),
      "the credentials supplied for this camera (user admin) are a factory default",
    );
  });

  it("does not cut a password out of a longer word", () => {
    const scrub = new EvidenceScrubber(["pass", "1234"]);
    assert.equal(
      scrub.text("password policy: passwords expire; build 123456"),
      "password policy: passwords expire; build 123456",
    );
    assert.equal(scrub.text("user pass, pin 1234."), "user [redacted], pin [redacted].");
  });

  it("removes the technician's password wherever it stands, also beside punctuation", () => {
    const scrub = auditScrubber("S3cret-x!", "operator");
    const text = scrub.text(
      'echo S3cret-x! {"pw":"S3cret-x!"} rtsp://operator:S3cret-x!@127.0.0.5/ (S3cret-x!)',
    )!;
    assert.ok(!text.includes("S3cret"), text);
    assert.ok(text.includes("operator"), text);
  });

  it("removes any password in a password position, factory ones included", () => {
    const scrub = auditScrubber("Cg!Strong7a");
    const cases: [string, string][] = [
      ["password=12345&x=1", "password=[redacted]&x=1"],
      ["Password: admin", "Password: [redacted]"],
      ['{"password":"admin","user":"admin"}', '{"password":"[redacted]","user":"admin"}'],
      ["<tt:Password>admin</tt:Password>", "<tt:Password>[redacted]</tt:Password>"],
      ["Authorization: Basic YWRtaW46YWRtaW4=", "Authorization: Basic [redacted]"],
      ["rtsp://admin:12345@127.0.0.5/live", "rtsp://admin:[redacted]@127.0.0.5/live"],
      ["Username=admin; Password=[redacted]", "Username=admin; Password=[redacted]"],
    ];
    for (const [input, expected] of cases) assert.equal(scrub.text(input), expected, input);
  });
});
