import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FAULT_KINDS } from "../../scripts/soak/faults.js";
import { table } from "../../scripts/soak/invariants.js";
import { runSoak } from "../../scripts/soak/run-soak.js";
import { MAIN_JS } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

// The 3-minute variant of `npm run soak`: every kind of fault at least once, every invariant
// checked. Root (a tmpfs to fill) and libfaketime (a clock to jump) are what CI has; without
// them those two faults are skipped and named.
describe("soak with chaos, 3 minutes", () => {
  it("8 cameras through every kind of fault: every invariant holds", async (t) => {
    const dir = await tempDir(t, "camgate-soak-");
    const lines: string[] = [];
    const result = await runSoak({
      dir,
      mainJs: MAIN_JS,
      chaosMinutes: 3,
      seed: 20261123,
      cameras: 8,
      baseIp: "127.0.47.10",
      log: (line) => lines.push(line),
    });
    const report = `${table(result.verdicts)}\n${lines.join("\n")}`;
    t.diagnostic(
      `faults: ${JSON.stringify(result.faults)}; skipped: ${result.skipped.join("; ") || "none"}`,
    );
    for (const line of table(result.verdicts).split("\n")) t.diagnostic(line);
    assert.deepEqual(
      result.verdicts.filter((verdict) => !verdict.holds).map((verdict) => verdict.invariant),
      [],
      report,
    );
    const permitted = process.getuid?.() === 0;
    for (const kind of FAULT_KINDS) {
      const mayBeSkipped = (kind === "disk-fill" && !permitted) || kind === "ffmpeg-kill";
      if (!mayBeSkipped) assert.ok((result.faults[kind] ?? 0) >= 1, `${kind} happened\n${report}`);
    }
    assert.ok(result.statusAnswered.ok >= 1, "status.get answered during the soak");
  });
});
