import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FAULT_KINDS, planFaults, type FaultRecord } from "../../scripts/soak/faults.js";
import {
  diskWithinQuota,
  everySegmentAccountedFor,
  gapsExplained,
  indexMatchesDisk,
  noUnexpectedCrash,
  rssBounded,
} from "../../scripts/soak/invariants.js";
import { silentLogger } from "../../src/log/index.js";
import type { SegmentRecord } from "../../src/store/index.js";
import { Store, UNKNOWN_MEDIA } from "../../src/store/index.js";
import { tempDir } from "../helpers/temp.js";

const T0 = Date.parse("2026-11-23T10:00:00Z");

function segment(id: number, startS: number, endS: number, cameraId = "cam-a"): SegmentRecord {
  return {
    id,
    cameraId,
    path: `/x/${id}.ts`,
    startMs: T0 + startS * 1000,
    endMs: T0 + endS * 1000,
    bytes: 100,
    sha256: "0".repeat(64),
    state: "forwarded",
    lockedUntilMs: null,
    forwardedMs: T0,
    ...UNKNOWN_MEDIA,
  };
}

describe("soak invariants: each one fails when it should", () => {
  it("faults are planned from the seed alone, every kind once, a kind or the link never hit twice at once", () => {
    const options = { seed: 7, chaosMs: 180_000, cameras: 8, meanGapMs: 45_000 };
    const plan = planFaults(options);
    assert.deepEqual(planFaults(options), plan, "the same seed, the same faults");
    assert.notDeepEqual(planFaults({ ...options, seed: 8 }), plan);
    for (const kind of FAULT_KINDS)
      assert.ok(
        plan.some((fault) => fault.kind === kind),
        kind,
      );
    for (const fault of plan) {
      assert.ok(fault.atMs + fault.durationMs <= options.chaosMs);
      const slot = (kind: string) => (kind.startsWith("link-") ? "link" : kind);
      const same = plan.filter((other) => other !== fault && slot(other.kind) === slot(fault.kind));
      for (const other of same)
        assert.ok(
          other.atMs >= fault.atMs + fault.durationMs ||
            other.atMs + other.durationMs <= fault.atMs,
        );
    }
  });

  it("disk use over quota plus the allowance breaks it", () => {
    const samples = [
      { atMs: 1, usedBytes: 90, quotaBytes: 100 },
      { atMs: 2, usedBytes: 120, quotaBytes: 100 },
    ];
    assert.equal(diskWithinQuota(samples, 20).holds, true);
    assert.equal(diskWithinQuota(samples, 19).holds, false);
    assert.equal(diskWithinQuota([], 19).holds, false, "no sample proves nothing");
  });

  it("a gap no fault explains breaks it; a kill, or a clock jump mapped to box time, explains it", () => {
    const segments = [segment(1, 0, 4), segment(2, 4, 8), segment(3, 24, 28)];
    const base = {
      segments,
      clock: [{ atMs: 0, offsetMs: 0 }],
      segmentMs: 4000,
      recoveryMs: 20_000,
    };
    assert.equal(gapsExplained({ ...base, faults: [] }).holds, false);
    const kill: FaultRecord = {
      kind: "agent-kill",
      fromMs: T0 + 9_000,
      toMs: T0 + 9_000,
      detail: "",
    };
    assert.equal(gapsExplained({ ...base, faults: [kill] }).holds, true);
    const longGap = [...segments.slice(0, 2), segment(3, 60, 64)];
    assert.equal(
      gapsExplained({ ...base, segments: longGap, faults: [kill] }).holds,
      false,
      "a gap that outlasts its fault and the recovery",
    );
    const otherCamera: FaultRecord = { ...kill, kind: "camera-stop", cameraId: "cam-b" };
    assert.equal(
      gapsExplained({ ...base, faults: [otherCamera] }).holds,
      false,
      "another camera's fault",
    );
    const brokerDown: FaultRecord = { ...kill, kind: "broker-stop" };
    assert.equal(
      gapsExplained({ ...base, faults: [brokerDown] }).holds,
      false,
      "a broker outage stops no recording",
    );
    // The clock jumped 50 s forward at real T0+8 s: box time leaps from 8 s to 58 s.
    const jump: FaultRecord = {
      kind: "clock-jump",
      fromMs: T0 + 8_000,
      toMs: T0 + 100_000,
      detail: "",
    };
    const clock = [
      { atMs: 0, offsetMs: 0 },
      { atMs: T0 + 8_000, offsetMs: 50_000 },
    ];
    const jumped = [...segments.slice(0, 2), segment(3, 58, 62)];
    assert.equal(gapsExplained({ ...base, segments: jumped, clock, faults: [jump] }).holds, true);
    assert.equal(gapsExplained({ ...base, segments: jumped, faults: [] }).holds, false);
  });

  it("RSS over the cap, or growing through a long run, breaks it", () => {
    const run = (mib: (i: number) => number) =>
      Array.from({ length: 60 }, (_, i) => ({
        atMs: i,
        run: 0,
        sinceStartMs: 60_000 + i * 5_000,
        mib: mib(i),
      }));
    assert.equal(
      rssBounded(
        run(() => 90),
        256,
      ).holds,
      true,
    );
    assert.equal(
      rssBounded(
        run(() => 300),
        256,
      ).holds,
      false,
    );
    assert.equal(
      rssBounded(
        run((i) => 80 + i * 2),
        256,
      ).holds,
      false,
      "a leak of 2 MiB a sample",
    );
  });

  it("an exit the soak did not cause, or a fatal line, breaks it", () => {
    const injected = { atMs: 1, code: null, signal: "SIGKILL" as const, injected: true };
    assert.equal(noUnexpectedCrash([injected], "").holds, true);
    assert.equal(
      noUnexpectedCrash([injected, { ...injected, code: 1, signal: null, injected: false }], "")
        .holds,
      false,
    );
    assert.equal(noUnexpectedCrash([], '{"level":60,"msg":"unhandled rejection"}').holds, false);
  });

  it("index against disk, and each segment's fate, on a real store", async (t) => {
    const dir = await tempDir(t);
    const store = new Store(join(dir, "camgate.db"), silentLogger());
    t.after(() => store.close());
    const { segments, events, cameras } = store.open();
    cameras.upsert({
      id: "cam-a",
      urn: "urn:a",
      mac: null,
      ip: "127.0.0.1",
      xaddrs: [],
      manufacturer: null,
      model: null,
      firmware: null,
      serial: null,
      hardware: null,
      name: "a",
      profiles: [],
      clockOffsetMs: 0,
      lastSeenMs: T0,
      reachable: true,
    });
    await mkdir(join(dir, "rec"));
    const file = join(dir, "rec", "1.ts");
    await writeFile(file, "video");
    const sha = "a3bbb0fc8f3ca2f4ac2ba9ba0bd0e1a79f4a1b9e3f3b07ac4f9d6e1c70c8a6c9";
    const row = segments.insert({
      cameraId: "cam-a",
      path: file,
      startMs: T0,
      endMs: T0 + 4000,
      bytes: 5,
      sha256: sha,
      state: "closed",
    });
    assert.equal(
      (await indexMatchesDisk(store, join(dir, "rec"))).holds,
      false,
      "the hash is wrong",
    );
    const { createHash } = await import("node:crypto");
    store.db
      .prepare("UPDATE segments SET sha256 = ? WHERE id = ?")
      .run(createHash("sha256").update("video").digest("hex"), row.id);
    assert.equal((await indexMatchesDisk(store, join(dir, "rec"))).holds, true);
    await writeFile(join(dir, "rec", "orphan.ts"), "x");
    assert.equal(
      (await indexMatchesDisk(store, join(dir, "rec"))).holds,
      false,
      "a file without a row",
    );

    const video = () => "/center/1.ts";
    assert.equal(
      (await everySegmentAccountedFor(store, [], video)).holds,
      true,
      "closed: still waiting",
    );
    segments.markGone([row.id], "evicted");
    assert.equal(
      (await everySegmentAccountedFor(store, [], video)).holds,
      false,
      "evicted unforwarded, no event",
    );
    events.append({
      tsMs: T0,
      cameraId: "cam-a",
      kind: "segment_lost_unforwarded",
      detail: { segmentId: row.id },
    });
    assert.equal((await everySegmentAccountedFor(store, [], video)).holds, true);
  });
});
