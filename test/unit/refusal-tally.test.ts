import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  REFUSAL_SUMMARY_EVERY_MS,
  REFUSALS_BURST,
  REFUSALS_PER_MINUTE,
  RefusalTally,
} from "../../src/commands/refusal-tally.js";
import { silentLogger } from "../../src/log/index.js";
import type { AccessEntry } from "../../src/store/index.js";

function tally(options: { overBudget?: () => boolean } = {}) {
  let now = Date.parse("2026-11-23T08:00:00Z");
  const entries: AccessEntry[] = [];
  const subject = new RefusalTally({
    append: (entry) => entries.push(entry),
    overBudget: options.overBudget ?? (() => false),
    logger: silentLogger(),
    now: () => now,
  });
  return { subject, entries, advance: (ms: number) => (now += ms) };
}

describe("refusal tally", () => {
  it("lets a burst through one by one, then counts, then one summary entry per flush", () => {
    const { subject, entries, advance } = tally();
    const admitted = Array.from({ length: 100 }, (_, i) =>
      subject.admit(i % 2 === 0 ? "bad_request" : "unknown_command"),
    );
    assert.equal(admitted.filter(Boolean).length, REFUSALS_BURST);
    assert.deepEqual(admitted.slice(0, REFUSALS_BURST), Array(REFUSALS_BURST).fill(true));
    assert.equal(entries.length, 0, "nothing logged by the tally itself until a flush");
    advance(60_000);
    const refilled = Array.from({ length: 20 }, () => subject.admit("bad_request"));
    assert.equal(refilled.filter(Boolean).length, REFUSALS_PER_MINUTE, "the rate after a minute");
    subject.flush();
    assert.equal(entries.length, 1);
    const [summary] = entries;
    assert.equal(summary?.action, "cmd/*");
    assert.equal(summary?.result, "refused");
    assert.deepEqual(summary?.detail["refusals"], {
      bad_request: 50 - REFUSALS_BURST / 2 + 20 - REFUSALS_PER_MINUTE,
      unknown_command: 50 - REFUSALS_BURST / 2,
    });
    assert.equal(summary?.detail["total"], 100 + 20 - REFUSALS_BURST - REFUSALS_PER_MINUTE);
    subject.flush();
    assert.equal(entries.length, 1, "no entry when nothing was counted");
    assert.ok(REFUSAL_SUMMARY_EVERY_MS <= 60_000);
  });

  it("over the database budget, every such refusal is only counted; stop() flushes", () => {
    const { subject, entries } = tally({ overBudget: () => true });
    assert.equal(subject.admit("unsigned"), false);
    assert.equal(subject.admit("unsigned"), false);
    subject.start();
    subject.stop();
    assert.deepEqual(entries[0]?.detail["refusals"], { unsigned: 2 });
  });
});
