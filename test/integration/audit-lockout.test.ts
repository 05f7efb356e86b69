import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import { parseConfigText, type Config } from "../../src/config/index.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { D724_LOCKOUT, type SimCameraInfo } from "../../src/sim/index.js";
import { Store } from "../../src/store/index.js";
import { CommandClient, type Reply } from "../helpers/commands.js";
import { waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";
import { uplinkLines, uplinkWorld } from "../helpers/uplink.js";

const SITE = "site-lockout";
const CAMERA_ID = "cam-lockout";
/** What the audit may spend of D724's threshold (5 failures in 30 s): threshold minus two. */
const BUDGET = D724_LOCKOUT.maxFailures - 2;

/** The camera in the inventory, approved by a technician, with its own password sealed. */
async function seedCamera(config: Config, camera: SimCameraInfo): Promise<void> {
  const store = new Store(config.store.path, silentLogger());
  try {
    const repos = store.open();
    repos.cameras.upsert(
      {
        id: CAMERA_ID,
        urn: camera.urn,
        mac: camera.mac,
        ip: camera.address,
        xaddrs: [camera.xaddr],
        manufacturer: "CamgateSim",
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: camera.name,
        profiles: [],
        clockOffsetMs: 0,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile)).setForCamera(
      CAMERA_ID,
      { username: camera.username, password: camera.password },
    );
  } finally {
    store.close();
  }
}

/** The most failures the camera counted in any window of `windowMs`. */
function mostInAnyWindow(failures: readonly number[], windowMs: number): number {
  let most = 0;
  for (const [index, start] of failures.entries()) {
    const inWindow = failures.slice(index).filter((ts) => ts - start < windowMs).length;
    most = Math.max(most, inWindow);
  }
  return most;
}

describe("audits and a camera that locks its account", () => {
  it(
    "8 concurrent audit.run commands and the scheduled audits never lock a camera that locks after 5 failures in 30 s",
    { timeout: 240_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const sim = await hardenedCameras(t, "127.0.46.1", 1, {
        override: () => ({ lockout: D724_LOCKOUT }),
      });
      const camera = sim.cameras[0]!;
      const box = await world.pki.issue(SITE);
      const config = parseConfigText(
        [
          `site: {id: ${SITE}}`,
          `store: {path: ${join(dir, "box.db")}}`,
          `secrets: {keyFile: ${join(dir, "seal.key")}}`,
          `storage: {dir: ${join(dir, "recordings")}}`,
          "discovery: {enabled: false}",
          "recorder: {enabled: false, forward: off}",
          // Scheduled rounds back to back: the camera stays under audit for the whole test.
          "audit: {startDelay: 1s, interval: 1s, credentialTrySpacing: 100ms, probeTimeout: 3s}",
          uplinkLines(world, box),
        ].join("\n"),
        "test.yaml",
        {},
      );
      await seedCamera(config, sim.describe()[0]!);

      const agent = Agent.fromConfig(config, silentLogger());
      let audits = 0;
      agent.bus.on("auditCompleted", () => audits++);
      await agent.start(new AbortController().signal);
      defer(t, () => agent.stop());
      const commands = await CommandClient.connect(t, world);
      await waitFor(
        "the box answers commands",
        async () => {
          const reply = await commands
            .send(SITE, "status.get", {}, { timeoutMs: 2_000 })
            .catch(() => undefined);
          return reply?.ok === true;
        },
        60_000,
      );

      const replies: Reply[] = await Promise.all(
        Array.from({ length: 8 }, () =>
          commands.send(SITE, "audit.run", { camera: CAMERA_ID }, { timeoutMs: 120_000 }),
        ),
      );
      // Failures keep coming in later windows: the budget refills, it is not spent once for good.
      await waitFor(
        "failed logins in a second lockout window",
        () => camera.lockout.failures().length > BUDGET && audits >= 2,
        150_000,
      );
      const failures = [...camera.lockout.failures()];
      const offsets = failures.map((ts) => ts - failures[0]!);
      t.diagnostic(`${audits} audits; failed logins at ${offsets.join(", ")} ms`);
      const most = mostInAnyWindow(failures, D724_LOCKOUT.windowMs);
      assert.ok(
        most <= BUDGET,
        `${most} failed logins within 30 s (at most ${BUDGET}); all at ${offsets.slice(0, 20).join(", ")}… ms`,
      );
      assert.deepEqual(camera.lockout.locks(), [], "the camera never locked its account");

      for (const reply of replies) {
        if (reply.ok) {
          const reports = reply.result?.["reports"] as { camera: string }[];
          assert.deepEqual(
            reports.map((report) => report.camera),
            [CAMERA_ID],
          );
        } else {
          assert.equal(reply.error?.code, "rate_limited", JSON.stringify(reply));
        }
      }
      assert.ok(
        replies.some((reply) => reply.ok),
        "the concurrent requests got the audit's result",
      );
      const again = await commands.send(SITE, "audit.run", { camera: CAMERA_ID });
      assert.equal(again.ok, false, "a request right after the audit ended is refused");
      assert.equal(again.error?.code, "rate_limited");
      assert.match(again.error?.message ?? "", /audit\.commandCooldown.*retry in \d+ s/);
    },
  );
});
