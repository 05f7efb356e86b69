import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { cleanEnv, REPO_ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const SCRIPT = join(REPO_ROOT, "scripts", "dist-freshness.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The script as npm runs it: in the project's root. */
async function freshness(root: string, command: string): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, command], {
      cwd: root,
      env: cleanEnv({ npm_config_update_notifier: "false" }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * A project like camgate's with a build that only counts its runs: begin, "compile", finish,
 * as package.json's build does around tsc.
 */
async function project(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const root = await tempDir(t);
  const build = [
    `node ${SCRIPT} begin`,
    `node -e "require('fs').appendFileSync('builds.log', 'built\\n')"`,
    `node ${SCRIPT} finish`,
  ].join(" && ");
  await mkdir(join(root, "src", "audit"), { recursive: true });
  await mkdir(join(root, "test"), { recursive: true });
  await mkdir(join(root, "scripts"), { recursive: true });
  await writeFile(join(root, "src", "main.ts"), "export {};\n");
  await writeFile(join(root, "src", "audit", "data.json"), "{}\n");
  await writeFile(join(root, "test", "a.test.ts"), "export {};\n");
  await writeFile(join(root, "tsconfig.json"), "{}\n");
  await writeFile(
    join(root, "package.json"),
    JSON.stringify({ name: "fixture", private: true, scripts: { build } }),
  );
  return root;
}

const builds = async (root: string) =>
  (await readFile(join(root, "builds.log"), "utf8").catch(() => "")).split("\n").filter(Boolean)
    .length;

/** Moves a file's modification time `seconds` away from the build's record, without waiting. */
async function age(root: string, file: string, seconds: number): Promise<void> {
  const stamp = JSON.parse(await readFile(join(root, "dist", ".build-stamp.json"), "utf8")) as {
    newestMs: number;
  };
  const when = new Date(stamp.newestMs + seconds * 1000);
  await utimes(join(root, file), when, when);
}

describe("scripts/dist-freshness.js (npm prepare)", () => {
  it("builds a project that was never built, saying why, and skips the build once dist/ is current", async (t) => {
    const root = await project(t);
    assert.deepEqual(await freshness(root, "check"), {
      code: 1,
      stdout: "stale: dist/ does not exist yet\n",
      stderr: "",
    });
    const first = await freshness(root, "prepare");
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /^camgate: building dist\/ \(dist\/ does not exist yet\); this takes about half a minute\.\.\.\n/,
    );
    assert.match(first.stderr, /camgate: built dist\/\n$/);
    assert.equal(await builds(root), 1);

    assert.equal((await freshness(root, "check")).stdout, "current\n");
    const second = await freshness(root, "prepare");
    assert.equal(second.code, 0);
    assert.equal(
      second.stderr,
      "camgate: dist/ is current, not rebuilt (npm run build builds anyway)\n",
    );
    assert.equal(await builds(root), 1, "no second build");
  });

  it("names the input that changed after the build; files added or removed count too", async (t) => {
    const root = await project(t);
    assert.equal((await freshness(root, "prepare")).code, 0);

    await age(root, "src/audit/data.json", 60);
    assert.equal(
      (await freshness(root, "check")).stdout,
      "stale: src/audit/data.json changed since the last build\n",
    );
    const rebuilt = await freshness(root, "prepare");
    assert.match(rebuilt.stderr, /building dist\/ \(src\/audit\/data\.json changed/);
    assert.equal(await builds(root), 2);

    // A file older than the build (copied in with its time kept) is still a new input.
    await writeFile(join(root, "test", "b.test.ts"), "export {};\n");
    await age(root, "test/b.test.ts", -3600);
    assert.equal(
      (await freshness(root, "check")).stdout,
      "stale: files were added, removed or renamed since the last build\n",
    );
    assert.equal((await freshness(root, "prepare")).code, 0);
    await rm(join(root, "test", "b.test.ts"));
    assert.match((await freshness(root, "check")).stdout, /^stale: files were added, removed/);
    assert.equal((await freshness(root, "prepare")).code, 0);

    await age(root, "package.json", 5);
    assert.match((await freshness(root, "check")).stdout, /^stale: package\.json changed/);
    assert.equal((await freshness(root, "prepare")).code, 0);
    assert.equal((await freshness(root, "check")).stdout, "current\n");
    assert.equal(await builds(root), 5);
  });

  it("does not trust a build that stopped half-way (begun, never finished)", async (t) => {
    const root = await project(t);
    assert.equal((await freshness(root, "begin")).code, 0);
    assert.ok((await stat(join(root, "dist"))).isDirectory());
    assert.equal(
      (await freshness(root, "check")).stdout,
      "stale: dist/ has no record of a finished build\n",
    );
    assert.equal((await freshness(root, "prepare")).code, 0);
    assert.equal(await builds(root), 1);
  });

  it("is what camgate's prepare runs, while build and test always build", async () => {
    const { scripts } = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(scripts.prepare, "node scripts/dist-freshness.js prepare");
    assert.match(
      scripts.build ?? "",
      /^rm -rf dist && node scripts\/dist-freshness\.js begin && tsc .* && node scripts\/dist-freshness\.js finish$/,
    );
    assert.match(scripts.test ?? "", /^npm run build && /);
  });
});
