import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { beforeEach, describe, it, type TestContext } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import {
  type CameraObservation,
  MAX_SEGMENT_MS,
  type Repositories,
  Store,
  StoreBudget,
} from "../../src/store/index.js";
import { tempDir, defer } from "../helpers/temp.js";

async function openStore(
  t: TestContext,
): Promise<{ repos: Repositories; store: Store; path: string }> {
  const path = join(await tempDir(t), "camgate.db");
  const store = new Store(path, silentLogger());
  defer(t, () => store.close());
  return { repos: store.open(), store, path };
}

function camera(id: string, overrides: Partial<CameraObservation> = {}): CameraObservation {
  return {
    id,
    urn: `urn:uuid:${id}`,
    mac: null,
    ip: "127.0.0.10",
    xaddrs: ["http://127.0.0.10/onvif/device_service"],
    manufacturer: "Sim",
    model: "SC-1",
    firmware: "1.0",
    serial: null,
    hardware: null,
    name: null,
    profiles: [],
    clockOffsetMs: 0,
    lastSeenMs: 1000,
    reachable: true,
    ...overrides,
  };
}

describe("repositories", () => {
  let t: TestContext;
  beforeEach((context) => {
    t = context as TestContext;
  });

  it("cameras: upsert keeps first-seen, enabled and trust, finds every claimant of a URN or MAC", async () => {
    const { repos } = await openStore(t);
    repos.cameras.upsert(camera("cam-1", { mac: "AA:BB:CC:00:11:22", lastSeenMs: 1000 }));
    repos.cameras.setEnabled("cam-1", false);
    const updated = repos.cameras.upsert(
      camera("cam-1", { ip: "127.0.0.99", mac: "aa:bb:cc:00:11:22", lastSeenMs: 5000 }),
    );
    assert.equal(updated.firstSeenMs, 1000);
    assert.equal(updated.lastSeenMs, 5000);
    assert.equal(updated.ip, "127.0.0.99");
    assert.equal(updated.enabled, false);
    assert.equal(repos.cameras.list().length, 1);
    assert.equal(repos.cameras.list({ enabledOnly: true }).length, 0);
    assert.equal(updated.trust, "pending", "a new row waits for a technician");
    assert.deepEqual(
      repos.cameras.findClaimants({ urn: "urn:uuid:cam-1" }).map((c) => c.id),
      ["cam-1"],
    );
    assert.deepEqual(
      repos.cameras
        .findClaimants({ urn: "urn:uuid:other", mac: "AA:BB:CC:00:11:22" })
        .map((c) => c.id),
      ["cam-1"],
    );
    assert.deepEqual(repos.cameras.findClaimants({ mac: "00:00:00:00:00:00" }), []);

    // Two devices may claim one URN; the approved one comes first.
    repos.cameras.upsert(camera("cam-2", { urn: "urn:uuid:cam-1", ip: "127.0.0.98" }));
    const pin = {
      address: "127.0.0.98",
      serial: "S2",
      mac: null,
      tlsFingerprint: null,
      httpsPort: null,
      pinnedMs: 1,
    };
    assert.ok(repos.cameras.approve("cam-2", pin));
    assert.deepEqual(
      repos.cameras.findClaimants({ urn: "urn:uuid:cam-1" }).map((c) => c.id),
      ["cam-2", "cam-1"],
    );
    assert.deepEqual(repos.cameras.get("cam-2")?.pin, pin);
    repos.cameras.upsert(camera("cam-2", { urn: "urn:uuid:cam-1", ip: "127.0.0.97" }));
    assert.equal(repos.cameras.get("cam-2")?.trust, "approved", "discovery never un-approves");
    assert.deepEqual(repos.cameras.get("cam-2")?.pin, pin, "nor re-pins");
    assert.equal(repos.cameras.count("pending"), 1);
    assert.deepEqual(repos.cameras.removeStalePending(6000), ["cam-1"]);
    assert.equal(repos.cameras.count(), 1);
  });

  it("camera secrets: sealed values round-trip and go with their camera", async () => {
    const { repos } = await openStore(t);
    const sealer = await SecretSealer.open(join(await tempDir(t), "seal.key"));
    repos.cameras.upsert(camera("cam-1"));
    repos.cameraSecrets.put("cam-1", sealer.seal("admin:S3cr3t!x", "camera:cam-1"), 1);
    const sealed = repos.cameraSecrets.get("cam-1") ?? "";
    assert.ok(!sealed.includes("S3cr3t"));
    assert.equal(sealer.unsealText(sealed, "camera:cam-1"), "admin:S3cr3t!x");
    assert.throws(() => repos.cameraSecrets.put("no-such-camera", "x", 1), /FOREIGN KEY/);
    assert.ok(repos.cameras.remove("cam-1"));
    assert.equal(repos.cameraSecrets.get("cam-1"), undefined);
  });

  it("events: filtered, newest first", async () => {
    const { repos } = await openStore(t);
    repos.events.append({
      tsMs: 1,
      cameraId: "cam-1",
      kind: "camera_offline",
      detail: { reason: "timeout" },
    });
    repos.events.append({ tsMs: 2, cameraId: "cam-2", kind: "camera_offline", detail: {} });
    repos.events.append({ tsMs: 3, cameraId: "cam-1", kind: "camera_online", detail: {} });
    assert.deepEqual(
      repos.events.list({ cameraId: "cam-1" }).map((event) => event.kind),
      ["camera_online", "camera_offline"],
    );
    assert.deepEqual(
      repos.events.list({ kind: "camera_offline", sinceMs: 2 }).map((e) => e.cameraId),
      ["cam-2"],
    );
    assert.deepEqual(repos.events.list({ cameraId: "cam-1", kind: "camera_offline" })[0]?.detail, {
      reason: "timeout",
    });
  });

  it("segments: overlap queries, state changes, locks, totals", async () => {
    const { repos } = await openStore(t);
    for (let i = 0; i < 6; i++) {
      repos.segments.insert({
        cameraId: "cam-1",
        path: `/rec/cam-1/${i}.ts`,
        startMs: i * 10_000,
        endMs: (i + 1) * 10_000,
        bytes: 1000,
        sha256: "ab".repeat(32),
        state: "closed",
      });
    }
    const window = repos.segments.overlapping("cam-1", 15_000, 35_000);
    assert.deepEqual(
      window.map((segment) => segment.startMs),
      [10_000, 20_000, 30_000],
    );
    const first = window[0];
    assert.ok(first);
    assert.ok(repos.segments.setState(first.id, "forwarded", 99));
    assert.equal(repos.segments.get(first.id)?.forwardedMs, 99);
    assert.ok(repos.segments.setState(first.id, "evicted", 100));
    assert.deepEqual(repos.segments.overlapping("cam-1", 15_000, 35_000).length, 2);
    assert.equal(repos.segments.lock("cam-1", 40_000, 60_000, 5000), 2);
    assert.equal(repos.segments.lock("cam-1", 40_000, 60_000, 10), 2);
    assert.equal(
      repos.segments.overlapping("cam-1", 40_000, 41_000)[0]?.lockedUntilMs,
      5000,
      "locks only extend",
    );
    const usage = repos.segments.usage();
    assert.deepEqual(
      usage.map((row) => [row.state, row.segments, row.bytes]).sort(),
      [
        ["closed", 5, 5000],
        ["evicted", 1, 1000],
      ],
      "the trigger-kept totals follow inserts and state changes",
    );
    assert.equal(repos.segments.storedBytes(), 5000);
    assert.equal(repos.segments.lockedBytes(4999), 2000);
    assert.equal(repos.segments.lockedBytes(5000), 0, "a hold ends at its time");
    assert.deepEqual(
      repos.segments.evictable("closed", 0, 10).map((segment) => segment.startMs),
      [0, 20_000, 30_000],
      "oldest first, held segments skipped",
    );
    assert.equal(repos.segments.evictable("closed", 5000, 10).length, 5, "expired holds release");
    // After the box clock was stepped back, the newest segment starts before older ones: it is
    // still the last to go, with what it holds.
    const latest = repos.segments.insert({
      cameraId: "cam-3",
      path: "/rec/cam-3/newest.ts",
      startMs: -3_600_000,
      endMs: -3_590_000,
      bytes: 10,
      sha256: null,
      state: "closed",
      videoCodec: "hevc",
      width: 2560,
      height: 1440,
      audioCodec: null,
    });
    assert.equal(repos.segments.evictable("closed", 5000, 10).at(-1)?.id, latest.id);
    assert.deepEqual(
      [latest.videoCodec, latest.width, latest.height, latest.audioCodec],
      ["hevc", 2560, 1440, null],
    );
    assert.deepEqual(repos.segments.get(latest.id), latest);
    assert.ok(repos.segments.setState(latest.id, "evicted", 0));
    assert.equal(repos.segments.unlock("cam-1", 0, 100_000), 2);
    assert.equal(repos.segments.lockedBytes(0), 0);
    assert.equal(repos.segments.pruneHistory(10_000, 10), 0, "only rows that started before");
    assert.equal(repos.segments.pruneHistory(20_000, 10), 1, "the evicted row is forgotten");
    assert.deepEqual(repos.segments.span("cam-1"), { oldestMs: 0, newestMs: 60_000 });
    assert.equal([...repos.segments.stored()].length, 5);
    const bogus = repos.segments.insert({
      cameraId: "cam-2",
      path: "/rec/cam-2/bogus.ts",
      startMs: 0,
      endMs: MAX_SEGMENT_MS * 3,
      bytes: 1,
      sha256: null,
      state: "closed",
    });
    assert.equal(
      bogus.startMs,
      MAX_SEGMENT_MS * 2,
      "a segment longer than the bound keeps its end",
    );
    assert.equal(repos.segments.get(bogus.id)?.startMs, MAX_SEGMENT_MS * 2);
    assert.equal(
      repos.segments.overlapping("cam-2", MAX_SEGMENT_MS * 3 - 1, MAX_SEGMENT_MS * 3).length,
      1,
      "found from its last instant: the scan reaches back one bound",
    );
    assert.throws(
      () =>
        repos.segments.insert({
          cameraId: "c",
          path: "/x",
          startMs: 0,
          endMs: 1,
          bytes: 0,
          sha256: null,
          state: "bogus" as "closed",
        }),
      /CHECK constraint/,
    );

    // Everything evicted and forgotten: the newest row stays, so ids keep growing (the uplink's
    // segment feed reads "after id" and would skip a reused one).
    const all = [...repos.segments.stored()];
    repos.segments.markGone(
      all.map((segment) => segment.id),
      "evicted",
    );
    const newest = repos.segments.lastId();
    while (repos.segments.pruneHistory(Number.MAX_SAFE_INTEGER, 100) > 0);
    assert.equal(repos.segments.lastId(), newest);
    const next = repos.segments.insert({
      cameraId: "cam-1",
      path: "/rec/cam-1/after-prune.ts",
      startMs: 100_000,
      endMs: 110_000,
      bytes: 1,
      sha256: null,
      state: "closed",
    });
    assert.ok(next.id > newest, `${next.id} > ${newest}`);
  });

  it("outbox: most urgent first, produced order within a priority, survives reopening", async () => {
    const { repos, store, path } = await openStore(t);
    const message = (topic: string, priority: number) => ({
      topic,
      payload: Buffer.from(topic),
      qos: 1 as const,
      retain: false,
      priority,
      properties: null,
      createdMs: 1,
      expiresMs: null,
    });
    const a = repos.outbox.enqueue(message("segments/1", 4));
    repos.outbox.enqueue(message("events/1", 2));
    repos.outbox.enqueue(message("segments/2", 4));
    repos.outbox.enqueue({
      ...message("status", 1),
      retain: true,
      properties: { contentType: "application/json" },
    });
    assert.deepEqual(
      repos.outbox.peek(10).map((m) => m.topic),
      ["status", "events/1", "segments/1", "segments/2"],
    );
    assert.deepEqual(
      repos.outbox.peek(10, [a]).map((m) => m.topic),
      ["status", "events/1", "segments/2"],
    );
    assert.deepEqual(repos.outbox.stats(), { count: 4, bytes: 34 });
    assert.ok(repos.outbox.ack(a));
    assert.ok(!repos.outbox.ack(a));
    store.close();
    const reopened = new Store(path, silentLogger());
    const again = reopened.open();
    const status = again.outbox.peek(1)[0];
    assert.equal(status?.retain, true);
    assert.deepEqual(status?.properties, { contentType: "application/json" });
    assert.equal(again.outbox.stats().count, 3);
    reopened.close();
  });

  it("audit reports: newest first per camera", async () => {
    const { repos } = await openStore(t);
    const report = (finishedMs: number) => ({
      cameraId: "cam-1",
      baseline: "qcvn11-2026",
      startedMs: finishedMs - 10,
      finishedMs,
      summary: { pass: 1, fail: 0 },
      report: { controls: [] },
      signature: null,
    });
    repos.auditReports.insert(report(100));
    repos.auditReports.insert(report(300));
    repos.auditReports.insert(report(200));
    assert.deepEqual(
      repos.auditReports.latest("cam-1", 2).map((r) => r.finishedMs),
      [300, 200],
    );
    assert.deepEqual(repos.auditReports.latest("cam-2"), []);
  });

  it("access log: chained, verified, and an edited row is found", async () => {
    const { repos, path } = await openStore(t);
    for (let i = 0; i < 5; i++) {
      repos.accessLog.append({
        tsMs: i,
        actor: "center:hn-01",
        action: "clip.request",
        target: `cam-${i}`,
        purpose: "investigation 42",
        result: "granted",
        detail: { from: i },
      });
    }
    const verdict = repos.accessLog.verify();
    assert.equal(verdict.ok, true);
    assert.equal(verdict.checked, 5);
    assert.equal(repos.accessLog.list(1)[0]?.seq, 5);

    const db = new BetterSqlite3(path);
    db.prepare("UPDATE access_log SET purpose = 'nothing to see' WHERE seq = 3").run();
    db.close();
    assert.deepEqual(repos.accessLog.verify(), {
      ok: false,
      checked: 2,
      brokenAtSeq: 3,
      reason: "entry content was altered",
    });

    const db2 = new BetterSqlite3(path);
    db2.prepare("UPDATE access_log SET purpose = 'investigation 42' WHERE seq = 3").run();
    db2.prepare("DELETE FROM access_log WHERE seq = 2").run();
    db2.close();
    const afterDelete = repos.accessLog.verify();
    assert.equal(afterDelete.ok, false);
    assert.equal(afterDelete.ok ? 0 : afterDelete.brokenAtSeq, 3);
  });

  it("command nonces: a repeat finds its reply, a reuse is told apart, replies stay within bounds", async () => {
    const { repos } = await openStore(t);
    const nonces = repos.commandNonces;
    const bounds = { maxReplyBytes: 1024, maxTotalBytes: 2048 };
    assert.deepEqual(nonces.claimFor("n1", "digest-a", 10_000, 0), { kind: "fresh" });
    assert.deepEqual(nonces.claimFor("n1", "digest-a", 10_000, 1), { kind: "repeat", reply: null });
    assert.deepEqual(nonces.claimFor("n1", "digest-b", 10_000, 1), { kind: "reused" });
    assert.equal(nonces.claim("n1", 10_000, 1), false, "the plain claim refuses any reuse");
    const reply = JSON.stringify({ ok: true, result: { segments: 12, text: "Trạm Hòa Bình" } });
    assert.equal(nonces.settle("n1", reply, bounds, 2), true);
    assert.deepEqual(nonces.claimFor("n1", "digest-a", 10_000, 3), { kind: "repeat", reply });
    // Expired: the nonce is free again.
    assert.deepEqual(nonces.claimFor("n1", "digest-b", 20_000, 10_000), { kind: "fresh" });

    // A reply over its own bound is not kept; the nonce is.
    nonces.claimFor("big", "d", 50_000, 0);
    const big = JSON.stringify({ ok: true, result: { noise: randomText(4000) } });
    assert.equal(nonces.settle("big", big, bounds, 1), false);
    assert.deepEqual(nonces.claimFor("big", "d", 50_000, 2), { kind: "repeat", reply: null });

    // Over the total, the oldest replies go first.
    const kept = (nonce: string) => {
      const claim = nonces.claimFor(nonce, "d", 50_000, 100);
      return claim.kind === "repeat" && claim.reply !== null;
    };
    for (let i = 0; i < 4; i++) {
      nonces.claimFor(`r${i}`, "d", 50_000, 0);
      nonces.settle(
        `r${i}`,
        JSON.stringify({ ok: true, result: { noise: randomText(700) } }),
        bounds,
        i,
      );
    }
    assert.ok(nonces.usage().replyBytes <= bounds.maxTotalBytes);
    assert.equal(kept("r0"), false, "the oldest forgotten");
    assert.equal(kept("r3"), true, "the newest kept");

    nonces.release("r3");
    assert.deepEqual(nonces.claimFor("r3", "other", 50_000, 100), { kind: "fresh" });
    assert.ok(nonces.forgetReplies() >= 1);
    assert.equal(nonces.usage().replies, 0);
  });

  it("store budget: size in use and on disk, over budget when past store.maxBytes", async () => {
    const { store, repos } = await openStore(t);
    const roomy = new StoreBudget(store, 1024 ** 3).usage();
    assert.ok(roomy.bytes > 0 && roomy.fileBytes >= roomy.bytes);
    assert.equal(roomy.overBudget, false);
    for (let i = 0; i < 200; i++)
      repos.events.append({
        tsMs: i,
        cameraId: null,
        kind: "uplink_down",
        detail: { pad: randomText(500) },
      });
    const tight = new StoreBudget(store, 64 * 1024);
    assert.equal(tight.over(), true);
    assert.ok(tight.usage().bytes > 64 * 1024);
  });
});

/** Text that deflate cannot shrink much. */
function randomText(length: number): string {
  return randomBytes(length).toString("base64").slice(0, length);
}
