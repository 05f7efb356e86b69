import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import type { BoxStatus } from "../../src/health/index.js";
import { UPDATE_STATE_SCHEMA, writeUpdateState } from "../../src/lifecycle/update-state.js";
import { updateLayout } from "../../src/update/index.js";
import { REPO_ROOT, runCamgate } from "../helpers/cli.js";
import { writeRecorderConfig } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/** Vietnam keeps UTC+07:00 all year: a UTC instant as a person there reads it, by hand. */
function hanoi(isoUtc: string): string {
  const shifted = new Date(Date.parse(isoUtc) + 7 * 3600_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} (UTC+07:00)`;
}

/** A box certificate that ends in 12 days, made by the openssl CLI; its notAfter in UTC. */
async function boxCertificate(dir: string): Promise<{ lines: string; notAfter: string }> {
  const [cert, key] = [join(dir, "box.pem"), join(dir, "box.key")];
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=rec-site",
    "-days",
    "12",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  const { stdout } = await run("openssl", ["x509", "-in", cert, "-noout", "-enddate"]);
  const notAfter = new Date(stdout.trim().replace(/^notAfter=/, "")).toISOString();
  return {
    lines: `uplink: {brokers: ["mqtts://127.0.140.1:8883"], ca: ${cert}, cert: ${cert}, key: ${key}}`,
    notAfter,
  };
}

async function status(file: string, json: boolean) {
  // A process zone far from the site's: what people read must follow site.timezone.
  return runCamgate(["status", ...(json ? ["--json"] : []), "--config", file], {
    env: { TZ: "America/New_York" },
  });
}

describe("camgate status: what the box runs and how its last update went", () => {
  it("camgate and Node.js versions, certificate expiry and the last update, JSON in UTC and local for people", async (t) => {
    const dir = await tempDir(t);
    const certificate = await boxCertificate(dir);
    const { config, file } = await writeRecorderConfig(dir, [
      "site: {id: rec-site, timezone: Asia/Ho_Chi_Minh}",
      certificate.lines,
    ]);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };

    const before = JSON.parse((await status(file, true)).stdout) as BoxStatus;
    assert.deepEqual(before.software, {
      version: pkg.version,
      node: process.versions.node,
      lastUpdate: null,
    });
    assert.equal(before.service.node, null, "no agent runs");
    assert.equal(before.certificate && "notAfter" in before.certificate, true);
    assert.deepEqual(
      before.certificate && "notAfter" in before.certificate
        ? [before.certificate.notAfter, before.certificate.daysLeft]
        : [],
      [certificate.notAfter, 11],
      "the end of validity in UTC, 11 full days left",
    );
    const plain = (await status(file, false)).stdout;
    assert.match(
      plain,
      new RegExp(`^software  camgate ${pkg.version}, Node.js ${process.versions.node}$`, "m"),
    );
    assert.match(plain, /^update +none recorded$/m);
    assert.ok(
      plain.includes(`cert      11 days left (until ${hanoi(certificate.notAfter)})`),
      plain,
    );

    const stateFile = updateLayout(config).stateFile;
    const finishedAt = "2026-12-02T20:30:00.000Z";
    const reason = "not healthy within 300 s: uplink down";
    await writeUpdateState(stateFile, {
      schema: UPDATE_STATE_SCHEMA,
      pending: null,
      last: {
        outcome: "rolled_back",
        version: "0.2.0",
        from: pkg.version,
        source: "uplink",
        reason,
        atMs: Date.parse(finishedAt),
        what: "release",
        reported: true,
      },
    });
    const update = {
      result: "rolled-back",
      version: "0.2.0",
      fromVersion: pkg.version,
      source: "uplink",
      finishedAt,
      reason,
      what: "release",
    };
    const after = JSON.parse((await status(file, true)).stdout) as BoxStatus;
    assert.deepEqual(after.software.lastUpdate, update);
    assert.ok(
      (await status(file, false)).stdout.includes(
        `update    0.2.0 rolled back to ${pkg.version} (over the uplink) 2026-12-03 03:30 (UTC+07:00): not healthy within 300 s: uplink down`,
      ),
    );

    await writeFile(stateFile, "{");
    const broken = JSON.parse((await status(file, true)).stdout) as BoxStatus;
    assert.match(
      (broken.software.lastUpdate as { error: string }).error,
      /update-state\.json is not JSON/,
    );
  });
});
