import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { runCamgate, runCamgateUnprivileged } from "../helpers/cli.js";
import { hardenedCameras } from "../helpers/site.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** A temp dir the unprivileged user can enter and read (not write). */
async function sharedDir(t: TestContext): Promise<string> {
  const dir = await tempDir(t);
  await chmod(dir, 0o755);
  return dir;
}

/** Owner and group names as coreutils' stat reads them, not as camgate does. */
async function owners(path: string): Promise<string> {
  const { stdout } = await run("stat", ["-c", "owner %U, group %G", path]);
  return stdout.trim();
}

/**
 * A file the unprivileged user may not read: root's with group root, 0640, as /etc/camgate's files
 * are root:camgate (when the tests run as root); else the caller's own, mode 0000.
 */
async function unreadable(path: string, text: string): Promise<{ mode: string; who: string }> {
  await writeFile(path, text);
  if (asRoot) {
    await chown(path, 0, 0);
    await chmod(path, 0o640);
    return { mode: "0640", who: "by root and group root" };
  }
  await chmod(path, 0o000);
  return { mode: "0000", who: "only by root" };
}

describe("messages a technician can act on", () => {
  it("provision without the rights to its directories says so before asking anything", async (t) => {
    const locked = join(await sharedDir(t), "locked");
    await mkdir(locked, { mode: 0o555 });
    await chmod(locked, 0o555);
    const state = join(locked, "state");
    const etc = join(locked, "etc");
    const result = await runCamgateUnprivileged([
      ...["provision", "--interactive", "--no-service"],
      ...["--state-dir", state, "--config-out", join(etc, "camgate.yaml")],
    ]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.equal(result.stdout, "", "no question asked");
    assert.equal(
      result.stderr,
      `camgate: provision must write ${state} (--state-dir) and ${etc} (--config-out), which user ${result.user} may not: run it as root (sudo camgate provision), or choose directories you can write with --state-dir and --config-out\n`,
    );
    assert.equal(existsSync(state), false);
  });

  it("status and run on a configuration the user may not read name the file and who may", async (t) => {
    const dir = await sharedDir(t);
    const file = join(dir, "camgate.yaml");
    const { mode, who } = await unreadable(file, "site: {id: hn-perm-01}\n");
    for (const command of ["status", "run"]) {
      const result = await runCamgateUnprivileged([command, "--config", file]);
      assert.equal(result.code, 78, `${command}: ${result.stderr}`);
      assert.equal(
        result.stderr,
        `camgate: permission denied: ${file} (${await owners(file)}, mode ${mode}) can be read ${who}, not by ${result.user}; run camgate as a user who may read it (sudo), or change its owner or mode\ncaused by: EACCES: permission denied, open '${file}'\n`,
        command,
      );
    }
    if (!asRoot) return;
    // A directory on the way that the user may not enter, as /etc/camgate (0750) is.
    const closed = join(dir, "closed");
    await mkdir(closed, { mode: 0o750 });
    await writeFile(join(closed, "camgate.yaml"), "site: {id: hn-perm-01}\n", { mode: 0o644 });
    const result = await runCamgateUnprivileged([
      "status",
      "--config",
      join(closed, "camgate.yaml"),
    ]);
    assert.equal(result.code, 78, result.stderr);
    assert.equal(
      result.stderr,
      `camgate: permission denied: the directory ${closed} (owner root, group root, mode 0750) can be entered by root and group root, not by nobody; run camgate as a user who may read it (sudo), or change its owner or mode\ncaused by: EACCES: permission denied, stat '${closed}/camgate.yaml'\n`,
    );
  });

  it("config check checks uplink.ca, uplink.cert and uplink.key: missing or unreadable is exit 78", async (t) => {
    const dir = await sharedDir(t);
    const ca = join(dir, "ca.pem");
    const cert = join(dir, "box.pem");
    const key = join(dir, "box.key");
    await writeFile(cert, "-----BEGIN CERTIFICATE-----\n", { mode: 0o644 });
    const { mode, who } = await unreadable(key, "-----BEGIN PRIVATE KEY-----\n");
    const file = join(dir, "camgate.yaml");
    await writeFile(
      file,
      `site: {id: hn-check-01}\nuplink: {brokers: ["mqtts://center.example:8883"], ca: ${ca}, cert: ${cert}, key: ${key}}\n`,
      { mode: 0o644 },
    );
    const keyOwners = await owners(key);
    const result = await runCamgateUnprivileged(["config", "check", "--config", file]);
    assert.equal(result.code, 78, result.stdout + result.stderr);
    assert.equal(result.stdout, "", "never 'ok'");
    assert.equal(
      result.stderr,
      `camgate: invalid configuration (2 problems):\n  ${file}: uplink.ca: ${ca} does not exist\n  ${file}: uplink.key: ${key} (${keyOwners}, mode ${mode}) can be read ${who}, not by ${result.user}\n`,
    );
    const json = await runCamgateUnprivileged(["config", "check", "--config", file, "--json"]);
    assert.equal(json.code, 78);
    const body = JSON.parse(json.stdout) as { ok: boolean; issues: { path: string }[] };
    assert.deepEqual(
      [body.ok, ...body.issues.map((issue) => issue.path)],
      [false, "uplink.ca", "uplink.key"],
    );
  });

  it("cert show without a certificate says what is missing and what to do", async (t) => {
    const dir = await tempDir(t);
    const cert = join(dir, "box.pem");
    const file = join(dir, "camgate.yaml");
    await writeFile(file, `site: {id: hn-show-01}\nuplink: {cert: ${cert}}\n`);
    const result = await runCamgate(["--config", file, "cert", "show"]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `camgate: ${cert} does not exist: no certificate is installed yet; make a CSR (camgate cert csr, or camgate provision), have the center's CA sign it, then install it with camgate cert install CERT --ca CA\n`,
    );
  });

  it("recordings export names every missing option in one run", async () => {
    const some = await runCamgate(["recordings", "export", "--camera", "cam-1"]);
    assert.equal(some.code, 2);
    assert.equal(
      some.stderr,
      "camgate: recordings export is missing --from <time>, --to <time>, --output <file>\n",
    );
    const none = await runCamgate(["recordings", "export"]);
    assert.equal(
      none.stderr,
      "camgate: recordings export is missing --camera <id>, --from <time>, --to <time>, --output <file>\n",
    );
  });

  it(
    "audit of an address needs no configuration and stores nothing",
    { timeout: 180_000 },
    async (t) => {
      if (existsSync("/etc/camgate/camgate.yaml") || existsSync("/var/lib/camgate")) {
        t.skip("this machine has a camgate installation: the case needs a laptop without one");
        return;
      }
      const sim = await hardenedCameras(t, "127.0.52.10", 1);
      const [camera] = sim.describe();
      const html = join(await tempDir(t), "report.html");
      const result = await runCamgate(
        [
          ...["--json", "audit", camera!.address, "-u", camera!.username, "--password-stdin"],
          ...["--html", html],
        ],
        {
          input: `${camera!.password}\n`,
          env: { CAMGATE_AUDIT_PROBE_TIMEOUT: "3s", CAMGATE_AUDIT_CREDENTIAL_TRY_SPACING: "0s" },
        },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stderr,
        "no configuration at /etc/camgate/camgate.yaml: ad-hoc audit with the default settings; nothing is stored\n",
      );
      const report = JSON.parse(result.stdout) as { camera: { address: string }; summary: object };
      assert.equal(report.camera.address, camera!.address);
      assert.ok(existsSync(html), "the HTML report for the owner");
      assert.equal(existsSync("/var/lib/camgate"), false, "no store, no sealing key");
    },
  );
});
