import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../helpers/cli.js";

const run = promisify(execFile);
const UNIT = join(REPO_ROOT, "systemd/camgate.service");
const MAX_EXPOSURE = 2.5;

describe("systemd/camgate.service", () => {
  it("passes systemd-analyze verify with nothing to say", async () => {
    const { stderr } = await run("systemd-analyze", ["verify", UNIT]);
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
});
