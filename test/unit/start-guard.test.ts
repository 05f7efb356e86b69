import assert from "node:assert/strict";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  linkTarget,
  type PendingUpdate,
  readUpdateState,
  writeUpdateState,
} from "../../src/lifecycle/update-state.js";
import { guardStart } from "../../src/update/index.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { type CleanupScope, tempDir } from "../helpers/temp.js";

const NOW = Date.parse("2026-12-03T04:00:00Z");

async function box(t: CleanupScope, linkTo: "0.1.0" | "0.2.0", pending: Partial<PendingUpdate>) {
  const dir = await tempDir(t);
  for (const version of ["0.1.0", "0.2.0"])
    await mkdir(join(dir, "releases", version), { recursive: true });
  await symlink(join(dir, "releases", linkTo), join(dir, "current"));
  const file = join(dir, "update-state.json");
  await writeUpdateState(file, {
    schema: "camgate.update-state/1",
    last: null,
    pending: {
      phase: "switching",
      from: "0.1.0",
      to: "0.2.0",
      releasesDir: join(dir, "releases"),
      currentLink: join(dir, "current"),
      starts: 0,
      maxStarts: 3,
      healthTimeoutMs: 60_000,
      deadlineMs: null,
      source: "uplink",
      ...pending,
    },
  });
  return { file, link: join(dir, "current"), release: (v: string) => join(dir, "releases", v) };
}

describe("the start guard", () => {
  it("does nothing without an update under way", async (t) => {
    const dir = await tempDir(t);
    assert.equal(await guardStart(join(dir, "absent.json"), NOW), "none");
  });

  for (const linkTo of ["0.1.0", "0.2.0"] as const) {
    it(`completes a switch cut short with the link at ${linkTo}, and starts the trial`, async (t) => {
      const b = await box(t, linkTo, {});
      assert.equal(await guardStart(b.file, NOW), "trial");
      assert.equal(await linkTarget(b.link), b.release("0.2.0"));
      const { pending } = await readUpdateState(b.file);
      assert.equal(pending?.phase, "trial");
      assert.equal(pending?.starts, 1);
      assert.equal(pending?.deadlineMs, NOW + 60_000);
    });
  }

  it("counts the new release's starts, then switches back when it has had them all", async (t) => {
    const b = await box(t, "0.2.0", { phase: "trial", starts: 2, deadlineMs: NOW + 1000 });
    assert.equal(await guardStart(b.file, NOW), "trial");
    assert.equal((await readUpdateState(b.file)).pending?.starts, 3);
    assert.equal(await guardStart(b.file, NOW), "rolled_back");
    assert.equal(await linkTarget(b.link), b.release("0.1.0"));
    const state = await readUpdateState(b.file);
    assert.equal(state.pending, null);
    assert.equal(state.last?.outcome, "rolled_back");
    assert.equal(state.last?.version, "0.2.0");
    assert.equal(state.last?.reported, false, "the old release tells the center");
  });

  it("switches back once the health deadline has passed, whatever the count", async (t) => {
    const b = await box(t, "0.2.0", { phase: "trial", starts: 1, deadlineMs: NOW - 1 });
    assert.equal(await guardStart(b.file, NOW), "rolled_back");
    assert.equal(await linkTarget(b.link), b.release("0.1.0"));
  });

  it("is copied out of the release alone: it loads only node: modules and the update state", async () => {
    for (const file of ["dist/src/update/start-guard.js", "dist/src/lifecycle/update-state.js"]) {
      const text = await readFile(join(REPO_ROOT, file), "utf8");
      const imports = [...text.matchAll(/(?:from|import)\s*"([^"]+)"/g)].map((m) => m[1]);
      assert.ok(imports.length > 0);
      for (const specifier of imports)
        assert.ok(
          specifier?.startsWith("node:") || specifier === "../lifecycle/update-state.js",
          `${file} imports ${specifier}`,
        );
    }
  });

  it("restores the previous config file when a config.apply's file does not come up", async (t) => {
    const dir = await tempDir(t);
    const [file, previous] = [join(dir, "camgate.yaml"), join(dir, "camgate.yaml.previous")];
    await writeFile(file, "new: 1\n");
    await writeFile(previous, "old: 1\n");
    const b = await box(t, "0.1.0", {
      phase: "trial",
      to: "0.1.0",
      starts: 3,
      deadlineMs: NOW + 1000,
      config: { file, previous },
    });
    assert.equal(await guardStart(b.file, NOW), "rolled_back");
    assert.equal(await readFile(file, "utf8"), "old: 1\n");
    assert.equal(await readFile(previous, "utf8"), "old: 1\n", "the previous file is kept");
    const { last } = await readUpdateState(b.file);
    assert.equal(last?.what, "config");
    assert.equal(last?.outcome, "rolled_back");
  });
});
