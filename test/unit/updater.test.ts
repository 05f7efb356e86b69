import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  linkTarget,
  type PendingUpdate,
  readUpdateState,
  writeUpdateState,
} from "../../src/lifecycle/update-state.js";
import { silentLogger } from "../../src/log/index.js";
import { SiteTopics, signManifest } from "../../src/protocol/index.js";
import { UpdateRefusedError, Updater } from "../../src/update/index.js";
import { type CleanupScope, tempDir } from "../helpers/temp.js";

interface Recorded {
  kind: string;
  detail: Record<string, unknown>;
}

async function setUp(
  t: CleanupScope,
  running: string,
  options: { healthy?: boolean; pending?: Partial<PendingUpdate>; linkTo?: string } = {},
) {
  const dir = await tempDir(t);
  const releasesDir = join(dir, "releases");
  for (const version of ["0.1.0", "0.2.0"])
    await mkdir(join(releasesDir, version), { recursive: true });
  const currentLink = join(dir, "current");
  await symlink(join(releasesDir, options.linkTo ?? running), currentLink);
  const keys = generateKeyPairSync("ed25519");
  const publicKeyFile = join(dir, "update.pub");
  await writeFile(publicKeyFile, keys.publicKey.export({ type: "spki", format: "pem" }));
  const stateFile = join(dir, "update-state.json");
  if (options.pending)
    await writeUpdateState(stateFile, {
      schema: "camgate.update-state/1",
      last: null,
      pending: {
        phase: "trial",
        from: "0.1.0",
        to: "0.2.0",
        releasesDir,
        currentLink,
        starts: 1,
        maxStarts: 3,
        healthTimeoutMs: 60_000,
        deadlineMs: Date.now() + 60_000,
        source: "uplink",
        ...options.pending,
      },
    });
  const events: Recorded[] = [];
  const restarts: string[] = [];
  const updater = new Updater({
    layout: { releasesDir, currentLink, stateFile, healthTimeoutMs: 60_000, maxStarts: 3 },
    publicKeyFile,
    running,
    download: {
      link: { connected: false, publish: async () => undefined, subscribe: () => () => undefined },
      topics: new SiteTopics("site-u"),
      bucket: undefined,
      replyTimeoutMs: 1000,
    },
    healthy: () => options.healthy ?? false,
    restart: (reason) => restarts.push(reason),
    events: { record: (kind, _camera, detail) => events.push({ kind, detail }) },
    logger: silentLogger(),
  });
  t.after(() => updater.stop());
  const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { updater, events, restarts, stateFile, currentLink, releasesDir, privatePem };
}

const manifest = {
  schema: "camgate.release/1" as const,
  version: "0.3.0",
  sha256: "c".repeat(64),
  size: 1000,
  minimumVersion: "0.1.0",
  file: "camgate-0.3.0.tgz",
  createdAt: "2026-12-03T04:00:00.000Z",
};

describe("Updater", () => {
  it("keeps a new release that reports healthy, and says so once", async (t) => {
    const box = await setUp(t, "0.2.0", { healthy: true, pending: {} });
    await box.updater.start(new AbortController().signal);
    await box.updater.stop();
    const state = await readUpdateState(box.stateFile);
    assert.equal(state.pending, null);
    assert.deepEqual(
      { ...state.last, atMs: 0 },
      {
        outcome: "installed",
        version: "0.2.0",
        from: "0.1.0",
        source: "uplink",
        reason: null,
        atMs: 0,
        what: "release",
        reported: true,
      },
    );
    assert.deepEqual(
      box.events.map((e) => e.kind),
      ["update_installed"],
    );
    assert.deepEqual(box.restarts, []);
  });

  it("switches back by itself when the new release is not healthy by its deadline", async (t) => {
    const box = await setUp(t, "0.2.0", {
      healthy: false,
      pending: { deadlineMs: Date.now() - 1 },
    });
    await box.updater.start(new AbortController().signal);
    await box.updater.stop();
    assert.equal(await linkTarget(box.currentLink), join(box.releasesDir, "0.1.0"));
    const state = await readUpdateState(box.stateFile);
    assert.equal(state.last?.outcome, "rolled_back");
    assert.equal(state.last?.reported, false, "told by the release it switched back to");
    assert.deepEqual(box.restarts, ["rollback to 0.1.0"]);
  });

  it("refuses offers before fetching anything: another key, a downgrade, a box not at the minimum", async (t) => {
    const box = await setUp(t, "0.2.0");
    await box.updater.start(new AbortController().signal);
    const other = generateKeyPairSync("ed25519").privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    const offers = [
      signManifest(manifest, other.toString()),
      signManifest({ ...manifest, version: "0.2.0" }, box.privatePem),
      signManifest({ ...manifest, minimumVersion: "0.2.1" }, box.privatePem),
    ];
    const reasons: string[] = [];
    for (const offer of offers)
      await box.updater.offer(offer).catch((error: unknown) => {
        assert.ok(error instanceof UpdateRefusedError);
        reasons.push(error.reason);
      });
    assert.deepEqual(reasons, ["bad_signature", "downgrade", "too_old"]);
    assert.deepEqual(
      box.events.map((e) => [e.kind, e.detail["reason"]]),
      reasons.map((reason) => ["update_refused", reason]),
    );
    assert.deepEqual((await readdir(box.releasesDir)).sort(), ["0.1.0", "0.2.0"]);
  });

  it("refuses an offer when the running release is not behind the current link: nothing to switch back to", async (t) => {
    const box = await setUp(t, "0.2.0", { linkTo: "0.1.0" });
    await box.updater.start(new AbortController().signal);
    await assert.rejects(
      box.updater.offer(signManifest(manifest, box.privatePem)),
      (error: unknown) => error instanceof UpdateRefusedError && error.reason === "no_rollback",
    );
  });

  it("takes no offer while the running release is on trial: it is not yet one to come back to", async (t) => {
    const box = await setUp(t, "0.2.0", { healthy: false, pending: {} });
    await box.updater.start(new AbortController().signal);
    await assert.rejects(
      box.updater.offer(signManifest(manifest, box.privatePem)),
      (error: unknown) => error instanceof UpdateRefusedError && error.reason === "busy",
    );
    await box.updater.stop();
    assert.equal((await readUpdateState(box.stateFile)).pending?.to, "0.2.0", "still on trial");
  });
});
