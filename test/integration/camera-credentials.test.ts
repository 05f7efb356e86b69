import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import { CredentialVault, type DiscoveryService } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import type { RecorderService } from "../../src/recorder/index.js";
import { Store } from "../../src/store/index.js";
import { cleanEnv, collect, MAIN_JS, runCamgate, waitForLine } from "../helpers/cli.js";
import { waitFor, writeRecorderConfig } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";

describe("a camera's credentials, as a technician fixes them", () => {
  it("approve and credentials refuse a wrong password, store nothing; the right one reaches the running agent within seconds", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.46.10", 1);
    const [camera] = sim.describe();
    const { config, file } = await writeRecorderConfig(dir, [
      "discovery: {multicast: false, cidrs: [127.0.46.8/29], probeTimeout: 1s, callTimeout: 2s, intervalSeconds: 3600}",
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
    ]);
    const cli = (args: string[], input?: string) =>
      runCamgate(["--config", file, ...args], input === undefined ? {} : { input });
    const agent = Agent.fromConfig(config, silentLogger());
    const discovery = agent.components.find((c) => c.name === "discovery") as DiscoveryService;
    const recorder = agent.components.find((c) => c.name === "recorder") as RecorderService;
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    assert.equal((await discovery.runOnce()).pending, 1);
    const listed = JSON.parse((await cli(["cameras", "list", "--json"])).stdout) as {
      id: string;
    }[];
    const id = listed[0]!.id;

    // A wrong password: said plainly, and the camera stays pending.
    const refused = await cli(
      ["cameras", "approve", id, "-u", camera!.username, "--password-stdin"],
      "wrong",
    );
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `camera ${id} \\(127\\.0\\.46\\.10\\) refused the credentials of ${camera!.username}: wrong username or password`,
      ),
    );
    const status = await cli(["status"]);
    assert.equal(status.code, 1);
    assert.match(
      status.stdout,
      new RegExp(
        `a device at 127\\.0\\.46\\.10 \\(${id}\\) awaits approval: camgate cameras approve ${id}`,
      ),
    );

    // A password on the command line is refused before anything is sent.
    const argv = await cli(["cameras", "approve", id, "-u", "admin", "-p", camera!.password]);
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /takes no password on the command line/);

    const approved = await cli(
      ["cameras", "approve", id, "-u", camera!.username, "--password-stdin"],
      camera!.password,
    );
    assert.equal(approved.code, 0, approved.stderr);
    await waitFor(
      "the running agent recording the approved camera",
      () => recorder.processes().get(id) !== undefined,
      30_000,
    );

    // The camera's password is changed on the camera side and here, wrongly at first.
    const wrong = await cli(
      ["cameras", "credentials", id, "-u", camera!.username, "--password-stdin"],
      "not-it",
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /refused the credentials .*: wrong username or password/);
    const store = new Store(config.store.path, silentLogger());
    const vault = new CredentialVault(
      store.open(),
      await SecretSealer.open(config.secrets.keyFile),
    );
    assert.equal(
      vault.ownOf(id)?.password,
      camera!.password,
      "the refused password was not stored",
    );

    // Stored credentials that stop working (what the agent sees after a password change on the
    // camera): the recorder restarts with them; fixed credentials take effect without a restart.
    vault.setForCamera(id, { username: camera!.username, password: "changed-on-the-camera" });
    store.close();
    const pidBefore = recorder.processes().get(id);
    await waitFor(
      "the recorder restarted with the new (bad) credentials",
      () => recorder.processes().get(id) !== pidBefore,
      30_000,
    );
    const fixed = await cli(
      ["cameras", "credentials", id, "-u", camera!.username, "--password-stdin"],
      camera!.password,
    );
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /accepted the credentials .*; sealed/);
    const since = Date.now();
    const recorded = () => {
      const check = new Store(config.store.path, silentLogger());
      try {
        return (check.open().segments.span(id)?.newestMs ?? 0) > since;
      } finally {
        check.close();
      }
    };
    await waitFor("a new segment within 30 s of the fix, without a restart", recorded, 30_000);
  });

  it("run names a camera whose stored password stopped working in one line with the fix, no stack trace", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.171.10", 1);
    const [camera] = sim.describe();
    const { config, file } = await writeRecorderConfig(dir, [
      "discovery: {multicast: false, cidrs: [127.0.171.8/29], probeTimeout: 1s, callTimeout: 2s, intervalSeconds: 3600}",
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
    ]);
    const added = await runCamgate(
      ["--config", file, "cameras", "add", camera!.xaddr, "-u", "admin", "--password-stdin"],
      { input: camera!.password },
    );
    assert.equal(added.code, 0, added.stderr);
    // The password is then changed on the camera: what the box holds no longer works.
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    const id = repos.cameras.list()[0]!.id;
    new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile)).setForCamera(id, {
      username: "admin",
      password: "changed-on-the-camera",
    });
    store.close();

    const agent = spawn(process.execPath, [MAIN_JS, "run", "--config", file], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    defer(t, () => (agent.exitCode === null ? agent.kill("SIGKILL") : undefined));
    const output = collect(agent);
    await waitForLine(agent, (line) => line.includes('"msg":"discovery round"'));
    agent.kill("SIGTERM");
    const { code, stdout, stderr } = await output;
    assert.equal(code, 0, stderr);
    const warnings = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: string; msg: string; component?: string })
      .filter((entry) => entry.component === "discovery" && entry.level === "warn");
    assert.deepEqual(
      warnings.map((entry) => entry.msg),
      [
        `camera ${id} (127.0.171.10) refused its stored credentials: wrong username or password; fix: camgate cameras credentials ${id} -u USER --password-stdin`,
      ],
    );
    assert.doesNotMatch(stdout + stderr, /"stack"|\n\s+at /, "no stack trace");
    assert.ok(!stdout.includes("changed-on-the-camera"), "the password is not logged");
  });

  it("status exits 1 over an approved camera that never recorded, naming it and the command that fixes it", async (t) => {
    const dir = await tempDir(t);
    const { config, file } = await writeRecorderConfig(dir, [
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
    ]);
    // A camera approved before its credentials worked: no stream address was ever read.
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    repos.cameras.upsert(
      {
        id: "cam-dark",
        urn: null,
        mac: null,
        ip: "127.0.46.20",
        xaddrs: ["http://127.0.46.20/onvif/device_service"],
        manufacturer: null,
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: null,
        profiles: [],
        clockOffsetMs: null,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    store.close();
    const agent = Agent.fromConfig(config, silentLogger());
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    let status = await runCamgate(["status", "--config", file]);
    await waitFor(
      "the agent's runtime status",
      async () => {
        status = await runCamgate(["status", "--config", file]);
        return !status.stdout.includes("the agent is not running");
      },
      30_000,
    );
    assert.equal(status.code, 1, status.stdout);
    assert.match(
      status.stdout,
      /camera cam-dark is not recording: no stream address, it was never interrogated with working credentials; camgate cameras credentials cam-dark -u USER --password-stdin/,
    );
    assert.doesNotMatch(status.stdout, /all well/);
    const json = JSON.parse((await runCamgate(["status", "--json", "--config", file])).stdout) as {
      attention: string[];
    };
    assert.ok(
      json.attention.some((reason) => reason.startsWith("camera cam-dark is not recording")),
    );
  });
});
