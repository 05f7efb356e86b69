import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import {
  approveCamera,
  CredentialVault,
  type DiscoveryService,
  Inventory,
} from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { type Store } from "../../src/store/index.js";
import { factoryPasswordCameras, setSiteDefaultCredentials } from "../helpers/site.js";
import { tempDir, defer } from "../helpers/temp.js";

describe("discovery inside the agent", () => {
  it("fills the inventory and reports cameras that appear, go away and come back", async (t) => {
    const dir = await tempDir(t);
    const sim = await factoryPasswordCameras(t, "127.0.11.1", 3);
    const config = parseConfigText(
      [
        "site: {id: test-site}",
        `store: {path: ${join(dir, "camgate.db")}}`,
        `secrets: {keyFile: ${join(dir, "seal.key")}}`,
        "discovery: {multicast: false, cidrs: [127.0.11.0/29], probeTimeout: 1s, intervalSeconds: 3600}",
        "recorder: {enabled: false}",
      ].join("\n"),
      "test.yaml",
      {},
    );
    // The technician entered the site's default credentials beforehand.
    await setSiteDefaultCredentials(config);

    const agent = Agent.fromConfig(config, silentLogger());
    const events: string[] = [];
    for (const name of ["cameraDiscovered", "cameraChanged", "cameraOffline"] as const) {
      agent.bus.on(name, (payload: AgentEvents[typeof name]) =>
        events.push(`${name} ${payload.cameraId}`),
      );
    }
    const service = agent.components.find((c) => c.name === "discovery") as DiscoveryService;
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());

    const first = await service.runOnce(); // the scheduled first round, already under way
    assert.deepEqual(first, {
      found: 3,
      interrogated: 0,
      failed: 0,
      offline: 0,
      pending: 3,
      ignored: 0,
    });
    assert.equal(events.filter((e) => e.startsWith("cameraDiscovered")).length, 3);
    const store = agent.components.find((c) => c.name === "store") as Store;
    assert.equal(store.repos.cameras.count("pending"), 3, "nobody approved them yet");
    assert.ok(
      store.repos.cameras.list().every((c) => c.profiles.length === 0),
      "not interrogated with any credentials",
    );
    assert.equal(store.repos.events.list({}).filter((e) => e.kind === "camera_pending").length, 3);

    // The technician approves them; the site default opens them.
    const vault = new CredentialVault(store.repos, await SecretSealer.open(config.secrets.keyFile));
    const access = { repos: store.repos, inventory: new Inventory(store.repos), vault };
    for (const camera of store.repos.cameras.list())
      await approveCamera({ ...access, callTimeoutMs: 5000 }, camera.id);
    events.length = 0;
    assert.deepEqual(await service.runOnce(), {
      found: 3,
      interrogated: 3,
      failed: 0,
      offline: 0,
      pending: 0,
      ignored: 0,
    });
    const cameras = store.repos.cameras.list();
    assert.ok(
      cameras.every((c) => c.manufacturer === "CamgateSim" && c.trust === "approved" && c.pin),
      "interrogated with the site default credentials, pinned",
    );

    const gone = sim.cameras[1]!;
    const goneId = cameras.find((c) => c.ip === gone.state.host)!.id;
    await gone.stop();
    events.length = 0;
    assert.deepEqual(await service.runOnce(), {
      found: 2,
      interrogated: 2,
      failed: 0,
      offline: 1,
      pending: 0,
      ignored: 0,
    });
    assert.deepEqual(events, [`cameraOffline ${goneId}`]);
    assert.equal(store.repos.cameras.get(goneId)?.reachable, false);

    await gone.start();
    events.length = 0;
    await service.runOnce();
    assert.deepEqual(
      events,
      [`cameraChanged ${goneId}`],
      "back, and recognised as the same camera",
    );
    assert.equal(store.repos.cameras.list().length, 3);

    // Credentials that stop working: the cameras stay known, reachable, and keep their details.
    vault.setSiteDefault({ username: "admin", password: "changed-on-the-camera" });
    events.length = 0;
    assert.deepEqual(await service.runOnce(), {
      found: 3,
      interrogated: 0,
      failed: 3,
      offline: 0,
      pending: 0,
      ignored: 0,
    });
    assert.deepEqual(events, []);
    for (const camera of store.repos.cameras.list()) {
      assert.equal(camera.manufacturer, "CamgateSim", "a failed interrogation erases nothing");
      assert.equal(camera.profiles.length, 2);
      assert.equal(camera.reachable, true);
    }
  });
});
