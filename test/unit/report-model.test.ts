import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTROLS } from "../../src/audit/catalogue.js";
import {
  attentionItems,
  auditSpan,
  cameraVerdict,
  findings,
} from "../../src/audit/report/report-model.js";
import type { AuditReport, ResultState } from "../../src/audit/types.js";

function camera(id: string, states: Record<string, ResultState>, startedAt: string): AuditReport {
  const controls = CONTROLS.map((control) => ({
    id: control.id,
    title: control.title,
    severity: control.severity,
    status: states[control.id] ?? "pass",
    refs: control.refs,
    evidence: [],
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
    camera: { id, address: "127.0.0.5" },
    baseline: "qcvn11-2026",
    startedAt,
    finishedAt: startedAt.replace(":00.000Z", ":30.000Z"),
    summary,
    controls,
    interpretation: "",
  };
}

const a = camera(
  "cam-a",
  { "time.ntp": "fail", "services.upnp": "fail", "services.telnet": "fail" },
  "2026-12-02T18:02:00.000Z",
);
const b = camera(
  "cam-b",
  { "services.upnp": "fail", "time.ntp": "unknown" },
  "2026-12-02T18:01:00.000Z",
);
const c = camera("cam-c", { "services.preauth-disclosure": "fail" }, "2026-12-02T18:03:00.000Z");
const d = camera("cam-d", {}, "2026-12-02T18:00:00.000Z");

describe("the site's findings", () => {
  it("lists each problem once: most severe first, then the one on most cameras", () => {
    const list = findings([a, b, c, d], ["fail"]);
    assert.deepEqual(
      list.map((f) => [f.control.id, f.cameras.map((r) => r.camera.id)]),
      [
        ["services.telnet", ["cam-a"]],
        ["services.upnp", ["cam-a", "cam-b"]],
        ["time.ntp", ["cam-a"]],
        ["services.preauth-disclosure", ["cam-c"]],
      ],
    );
  });

  it("concludes per camera and expands failures before what is unverified", () => {
    assert.deepEqual([a, b, c, d].map(cameraVerdict), ["urgent", "fix", "fix", "ok"]);
    assert.equal(cameraVerdict(camera("e", { "time.ntp": "unknown" }, d.startedAt)), "unverified");
    assert.deepEqual(
      attentionItems(b).map((control) => `${control.id}=${control.status}`),
      ["services.upnp=fail", "time.ntp=unknown"],
    );
  });

  it("spans the audits from the first start to the last end", () => {
    assert.deepEqual(auditSpan([a, b, c, d]), {
      from: "2026-12-02T18:00:00.000Z",
      to: "2026-12-02T18:03:30.000Z",
    });
    assert.equal(auditSpan([]), undefined);
  });
});
