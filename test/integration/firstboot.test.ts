import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { findAccount } from "../../src/provision/ownership.js";
import { MAIN_JS, REPO_ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts/image/camgate-firstboot");
const UNIT = join(REPO_ROOT, "systemd/camgate-firstboot.service");

describe("first boot: what an installer drops on the boot partition", () => {
  it("is moved into place with its owners and modes, and removed from the FAT partition", async (t) => {
    const nobody = await findAccount("nobody");
    if (process.getuid?.() !== 0 || !nobody) return t.skip("needs root and a nobody account");
    const dir = await tempDir(t);
    const drop = join(dir, "boot", "camgate");
    await mkdir(drop, { recursive: true });
    const config = (await readFile(join(REPO_ROOT, "config.example.yaml"), "utf8")).replace(
      /^site:\n {2}id: .*$/m,
      "site:\n  id: hn-firstboot",
    );
    await writeFile(join(drop, "camgate.yaml"), config);
    for (const name of ["box.pem", "ca.pem", "box.key"]) await writeFile(join(drop, name), name);
    await writeFile(join(drop, "notes.txt"), "not camgate's");
    const camgate = join(dir, "camgate");
    await writeFile(camgate, `#!/bin/sh\nexec "${process.execPath}" "${MAIN_JS}" "$@"\n`);
    await chmod(camgate, 0o755);

    const { stdout } = await run(SCRIPT, [], {
      env: {
        ...process.env,
        CAMGATE_BOOT_DIR: join(dir, "boot"),
        CAMGATE_ETC_DIR: join(dir, "etc"),
        CAMGATE_STATE_DIR: join(dir, "state"),
        CAMGATE_OWNER: "nobody",
        CAMGATE_BIN: camgate,
      },
    });
    assert.match(stdout, /moved 4 file\(s\) into place/);
    assert.match(stdout, /left in .*: notes\.txt/);
    assert.match(stdout, /valid/i, "the config was checked");
    const expect = async (path: string, uid: number, gid: number, mode: number) => {
      const info = await stat(path);
      assert.deepEqual([info.uid, info.gid, info.mode & 0o777], [uid, gid, mode], path);
    };
    for (const name of ["camgate.yaml", "ca.pem"])
      await expect(join(dir, "etc", name), 0, nobody.gid, 0o640);
    // The agent replaces its key and certificate when it renews them: both are its own.
    await expect(join(dir, "state", "keys", "box.pem"), nobody.uid, nobody.gid, 0o640);
    await expect(join(dir, "etc"), 0, nobody.gid, 0o750);
    await expect(join(dir, "state", "keys"), nobody.uid, nobody.gid, 0o700);
    await expect(join(dir, "state", "keys", "box.key"), nobody.uid, nobody.gid, 0o600);
    for (const name of ["camgate.yaml", "box.pem", "ca.pem", "box.key"])
      assert.equal(existsSync(join(drop, name)), false, `${name} removed from the boot partition`);
    assert.equal(existsSync(join(drop, "notes.txt")), true, "what is not ours stays");

    // Nothing dropped: nothing to do.
    const again = await run(SCRIPT, [], {
      env: { ...process.env, CAMGATE_BOOT_DIR: join(dir, "nothing") },
    });
    assert.equal(again.stdout, "");
  });

  it("its unit passes systemd-analyze verify", async (t) => {
    // The unit names the installed script; verify it against the one in the repository.
    const dir = await tempDir(t);
    const unit = join(dir, "camgate-firstboot.service");
    await copyFile(UNIT, unit);
    await writeFile(
      unit,
      (await readFile(unit, "utf8")).replace("/usr/local/sbin/camgate-firstboot", SCRIPT),
    );
    const { stderr } = await run("systemd-analyze", ["verify", unit]);
    assert.equal(stderr.trim(), "");
  });
});
