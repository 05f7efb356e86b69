import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { cleanEnv, collect, MAIN_JS, runCamgate } from "../helpers/cli.js";
import { freePort } from "../../src/demo/index.js";
import { findAccount } from "../../src/provision/ownership.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/recording.js";
import { startCenter, uplinkWorld } from "../helpers/uplink.js";

describe("camgate provision", () => {
  it("scripted: stops with a way forward at each failure, resumes, and leaves a working config", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const sim = await hardenedCameras(t, "127.0.45.10", 2);
    const cameras = sim.describe();
    const configOut = join(dir, "etc", "camgate.yaml");
    const stateDir = join(dir, "state");
    const answersFile = join(dir, "answers.yaml");
    const provision = async (answers: Record<string, unknown>) => {
      await writeFile(answersFile, stringify(answers), { mode: 0o600 });
      return runCamgate([
        "provision",
        "--answers",
        answersFile,
        "--config-out",
        configOut,
        "--state-dir",
        stateDir,
        "--no-service",
        "--owner",
        "nobody",
      ]);
    };
    const site = { id: "hn-prov-01", name: "Phường Thử", location: "pole 12" };

    // 1. No certificate yet: the key and the CSR are made, and the run says what to do next.
    const first = await provision({ site });
    assert.equal(first.code, 1, first.stdout + first.stderr);
    assert.match(first.stdout, /-----BEGIN CERTIFICATE REQUEST-----/);
    assert.match(
      first.stderr,
      /no certificate yet: have .*box\.csr signed .* run camgate provision again/,
    );
    assert.equal(existsSync(configOut), false, "no config before the end");
    const csr = await readFile(join(stateDir, "box.csr"), "utf8");

    // An answers file written before the center issued the certificate: the same friendly stop.
    const later = join(dir, "issued", "hn-prov-01.pem");
    const early = await provision({ site, certificate: { cert: later, ca: world.pki.ca } });
    assert.equal(early.code, 1, early.stdout + early.stderr);
    assert.equal(
      early.stderr,
      `camgate: no certificate yet: ${later} does not exist; have ${join(stateDir, "box.csr")} signed by the center's CA, save the certificate as ${later}, then run camgate provision again (it resumes here)\n`,
    );

    // 2. A certificate for another site is refused; nothing is installed.
    const other = await world.pki.issue("other-site");
    const wrong = await provision({ site, certificate: { cert: other.cert, ca: world.pki.ca } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /the certificate is not for this box's key/);
    assert.match(wrong.stdout, /\[1\/9\] site: done earlier/);
    assert.equal(existsSync(join(stateDir, "keys", "box.pem")), false);

    // 3. The certificate the center's openssl issued from the box's CSR (its subject keeps the
    //    CSR's serialNumber and O), a broker nobody listens on: the connection test says so.
    const certificate = { cert: await world.pki.sign(csr), ca: world.pki.ca };
    const closed = `mqtts://127.0.0.1:${await freePort("127.0.0.1")}`;
    const unreachable = await provision({ site, certificate, broker: closed });
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stdout,
      /installed .*box\.pem \(CN=hn-prov-01, serialNumber=\S+, O=camgate, \d+ days left\)/,
    );
    assert.match(
      unreachable.stderr,
      new RegExp(`cannot connect to ${closed}.*run camgate provision again`),
    );

    // 4. One camera's password is wrong in the answers: the run says so, naming the camera,
    //    and stops before the audit and the config.
    const answers = (passwordOf: (camera: (typeof cameras)[number]) => string) => ({
      site,
      broker: world.broker.url,
      discovery: { cidrs: ["127.0.45.8/29"], multicast: false },
      approve: "all",
      credentials: {
        cameras: Object.fromEntries(
          cameras.map((camera) => [
            camera.address,
            { username: camera.username, password: passwordOf(camera) },
          ]),
        ),
      },
      recording: true,
    });
    const [, wrongOne] = cameras;
    const refused = await provision(
      answers((camera) => (camera === wrongOne ? "Wr0ng!pass" : camera.password)),
    );
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /connected: the broker accepts this box's certificate/);
    const named = wrongOne!.address.replaceAll(".", "\\.");
    assert.match(
      refused.stdout,
      new RegExp(`${named}: the camera refused the username or password`),
    );
    assert.match(
      refused.stderr,
      new RegExp(
        `not approved: ${named} \\(cam-[0-9a-f]+\\): credentials refused\\. Put the right credentials under credentials\\.cameras`,
      ),
    );
    assert.equal(existsSync(configOut), false, "no config after a refused camera");

    // 5. Everything: resumes after the certificate, finds and interrogates both cameras with
    //    their own passwords, audits them, writes the config.
    const done = await provision(answers((camera) => camera.password));
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /\[3\/9\] certificate from the center: done earlier/);
    assert.match(done.stdout, /\[4\/9\] broker and connection test: done earlier/);
    for (const camera of cameras)
      assert.match(
        done.stdout,
        new RegExp(`${camera.address.replaceAll(".", "\\.")} +approved \\(CamgateSim`),
      );
    assert.match(done.stdout, /report for the camera owners: .*\.html/);
    assert.match(done.stdout, /start the agent: systemctl enable --now camgate/);
    for (const camera of cameras)
      assert.ok(!done.stdout.includes(camera.password), "passwords never printed");
    // Run as root (as here), the data directory goes to the service account.
    const nobody = await findAccount("nobody");
    if (process.getuid?.() === 0 && nobody) {
      assert.match(done.stdout, /now belongs to nobody/);
      for (const file of ["keys", "keys/box.key", "keys/seal.key", "camgate.db", "reports"])
        assert.equal((await stat(join(stateDir, file))).uid, nobody.uid, file);
      const config = await stat(configOut);
      assert.deepEqual([config.uid, config.gid, config.mode & 0o777], [0, nobody.gid, 0o640]);
    }
    const reports = await readdir(join(stateDir, "reports"));
    assert.equal(reports.filter((name) => name.endsWith(".html")).length, 1);

    const check = await runCamgate(["config", "check", "--config", configOut]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const text = await readFile(configOut, "utf8");
    assert.match(text, /id: "hn-prov-01", name: "Phường Thử"/);
    assert.match(text, new RegExp(`brokers: \\["${world.broker.url}"\\]`));
    assert.doesNotMatch(
      text,
      /password/i,
      "credentials live sealed in the store, not in the config",
    );
    const listed = await runCamgate(["cameras", "list", "--json", "--config", configOut]);
    const inventory = JSON.parse(listed.stdout) as { ip: string; manufacturer: string }[];
    assert.deepEqual(
      inventory.map((camera) => camera.ip).sort(),
      cameras.map((camera) => camera.address).sort(),
    );
    assert.ok(
      inventory.every((camera) => camera.manufacturer === "CamgateSim"),
      listed.stdout,
    );

    // The config runs: the agent records both cameras and the center receives their video.
    const center = await startCenter(t, world, join(dir, "center"));
    const agent = spawn(process.execPath, [MAIN_JS, "run", "--config", configOut], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stopped = collect(agent);
    defer(t, () => (agent.exitCode === null ? agent.kill("SIGKILL") : undefined));
    const verifiedCameras = () =>
      new Set(
        center
          .receivedSegments()
          .filter((segment) => segment.verified)
          .map((segment) => segment.cameraId),
      );
    await waitFor(
      "verified video of both cameras at the center",
      () => verifiedCameras().size === 2,
      120_000,
    );
    agent.kill("SIGTERM");
    const result = await stopped;
    assert.equal(result.code, 0, result.stderr);
  });

  it("interactive: asks with defaults, explains a bad answer, asks again, and completes with a certificate from openssl ca", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    // Multicast stays off the test machine's network; everything else is typed.
    const answersFile = join(dir, "answers.yaml");
    await writeFile(answersFile, stringify({ discovery: { multicast: false } }));
    const session = () => {
      const child = spawn(
        process.execPath,
        [
          MAIN_JS,
          "provision",
          "--interactive",
          "--answers",
          answersFile,
          "--config-out",
          join(dir, "camgate.yaml"),
          "--state-dir",
          join(dir, "state"),
          "--no-service",
        ],
        { env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] },
      );
      const done = collect(child);
      // Answers one prompt at a time, as a technician types them.
      let pending = "";
      let waiter:
        | { prompt: RegExp; line: string; resolve: () => void; reject: (error: Error) => void }
        | undefined;
      const check = () => {
        if (!waiter || !waiter.prompt.test(pending)) return;
        pending = "";
        child.stdin.write(`${waiter.line}\n`);
        const { resolve } = waiter;
        waiter = undefined;
        resolve();
      };
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        check();
      });
      // A run that ends before the prompt fails the test with what it said, rather than hang.
      let ended: string | undefined;
      void done.then((result) => {
        ended = `provision ended (code ${result.code}) before the prompt: ${pending}${result.stderr}`;
        waiter?.reject(new Error(`${ended} (waiting for ${String(waiter.prompt)})`));
      });
      const answer = (prompt: RegExp, line: string) =>
        new Promise<void>((resolve, reject) => {
          if (ended !== undefined) return reject(new Error(ended));
          waiter = { prompt, line, resolve, reject };
          check();
        });
      return { answer, done };
    };

    const first = session();
    await first.answer(/Site id: $/, "Bad Id!");
    await first.answer(/lower-case letters[\s\S]*Site id: $/, "hn-prov-02");
    await first.answer(/Site name: $/, "");
    await first.answer(/Where the box is installed: $/, "cabinet 3");
    await first.answer(/certificate the center issued \(empty: not yet\)/, "");
    const result = await first.done;
    assert.equal(result.code, 1);
    assert.match(result.stdout, /-----BEGIN CERTIFICATE REQUEST-----/);
    assert.match(result.stderr, /no certificate yet/);
    const state = JSON.parse(await readFile(join(dir, "state", "provision.json"), "utf8")) as {
      site: { id: string; location: string };
      done: string[];
    };
    assert.deepEqual(state.site, { id: "hn-prov-02", location: "cabinet 3" });
    assert.deepEqual(state.done, ["site", "identity"]);

    // The center signs the CSR with `openssl ca`; the technician types where the files are.
    const issued = await world.pki.signWithOpensslCa(
      await readFile(join(dir, "state", "box.csr"), "utf8"),
    );
    const second = session();
    await second.answer(/certificate the center issued \(empty: not yet\): $/, issued);
    await second.answer(/Path of the center's CA certificate: $/, world.pki.ca);
    await second.answer(
      /Broker of the commune center \(mqtts:\/\/host:port\): $/,
      world.broker.url,
    );
    await second.answer(
      /Address ranges to sweep, comma-separated \(empty: multicast only\): $/,
      "",
    );
    await second.answer(/Record every camera\? \(yes\/no\) \[yes\]: $/, "no");
    const completed = await second.done;
    assert.equal(completed.code, 0, completed.stdout + completed.stderr);
    assert.match(
      completed.stdout,
      /installed .*box\.pem \(O=camgate, CN=hn-prov-02, serialNumber=/,
    );
    assert.match(completed.stdout, /connected: the broker accepts this box's certificate/);
    assert.match(completed.stdout, /provisioned\.\n$/);
    const check = await runCamgate(["config", "check", "--config", join(dir, "camgate.yaml")]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});
