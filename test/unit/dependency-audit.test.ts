import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AuditReport, judgeAudit } from "../../scripts/audit/judge.js";

// The shape npm 10 prints for `npm audit --json` with findings.
const REPORT: AuditReport = {
  vulnerabilities: {
    "ws-lib": {
      name: "ws-lib",
      severity: "high",
      via: [
        {
          source: 1097,
          url: "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
          title: "DoS",
          severity: "high",
        },
      ],
    },
    parent: { name: "parent", severity: "high", via: ["ws-lib"] },
    "minor-lib": {
      name: "minor-lib",
      severity: "moderate",
      via: [
        {
          source: 1,
          url: "https://github.com/advisories/GHSA-mmmm",
          title: "x",
          severity: "moderate",
        },
      ],
    },
  },
};
const EXCEPTION = {
  advisory: "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
  package: "ws-lib",
  reason: "only the server side is affected; camgate uses the client",
  reviewBy: "2027-01-31",
};

describe("dependency audit", () => {
  it("a high advisory without a written reason blocks; moderate ones and pointers do not", () => {
    const verdict = judgeAudit(REPORT, [], "2026-11-23");
    assert.deepEqual(verdict, {
      kind: "judged",
      excused: [],
      blocking: [
        { package: "ws-lib", severity: "high", advisory: EXCEPTION.advisory, title: "DoS" },
      ],
    });
  });

  it("a written reason excuses it until its review date", () => {
    const excused = judgeAudit(REPORT, [EXCEPTION], "2026-11-23");
    assert.equal(excused.kind === "judged" && excused.blocking.length, 0);
    assert.equal(excused.kind === "judged" && excused.excused[0]?.reason, EXCEPTION.reason);
    const expired = judgeAudit(REPORT, [EXCEPTION], "2027-02-01");
    assert.equal(expired.kind === "judged" && expired.blocking.length, 1);
  });

  it("a registry that serves no advisories is reported as such, not as a clean bill", () => {
    const verdict = judgeAudit(
      {
        message:
          "405 Method Not Allowed - POST https://mirror.invalid/-/npm/v1/security/advisories/bulk",
        statusCode: 405,
      },
      [],
      "2026-11-23",
    );
    assert.deepEqual(verdict, {
      kind: "unavailable",
      why: "405 Method Not Allowed - POST <registry>",
    });
  });
});
