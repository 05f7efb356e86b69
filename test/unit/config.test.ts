import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import {
  applyReload,
  ConfigError,
  configJsonSchema,
  configSchema,
  envNameFor,
  envOverrideTable,
  parseConfigText,
  planReload,
} from "../../src/config/index.js";
import { listLeaves } from "../../src/config/introspect.js";
import { REPO_ROOT } from "../helpers/cli.js";

const MINIMAL = "site:\n  id: test-site\n";

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfigText(text, "camgate.yaml", env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail("configuration was accepted");
}

describe("configuration schema", () => {
  it("fills every default from a minimal file", () => {
    const config = parseConfigText(MINIMAL, "camgate.yaml", {});
    assert.equal(config.site.id, "test-site");
    assert.equal(config.storage.segmentSeconds, 10);
    assert.equal(config.storage.minFreeBytes, 2 ** 30);
    assert.equal(config.discovery.probeTimeout, 3000);
    assert.equal(config.audit.baseline, "qcvn11-2026");
    assert.equal(config.uplink.chunkBytes, 256 * 1024);
    assert.equal(config.uplink.outbox.maxBytes, 256 * 2 ** 20);
    assert.deepEqual(config.uplink.brokers, []);
    assert.equal(config.agent.stopTimeout, 20_000);
    assert.equal(config.site.timezone, "Asia/Ho_Chi_Minh");
    assert.equal(config.site.locale, "vi");
  });

  it("takes the site's time zone by IANA name and its language as vi or en", () => {
    const config = parseConfigText(
      "site:\n  id: test-site\n  timezone: Europe/Paris\n  locale: en\n",
      "camgate.yaml",
      {},
    );
    assert.equal(config.site.timezone, "Europe/Paris");
    assert.equal(config.site.locale, "en");
    const zone = issuesOf("site:\n  id: test-site\n  timezone: Asia/Hanoi-Central\n");
    assert.ok(
      zone.some((issue) => issue.path === "site.timezone"),
      JSON.stringify(zone),
    );
    const locale = issuesOf("site:\n  id: test-site\n  locale: fr\n");
    assert.ok(
      locale.some((issue) => issue.path === "site.locale"),
      JSON.stringify(locale),
    );
  });

  it("accepts config.example.yaml", async () => {
    const text = await readFile(join(REPO_ROOT, "config.example.yaml"), "utf8");
    const config = parseConfigText(text, "config.example.yaml", {});
    assert.equal(config.storage.maxBytes, 64 * 2 ** 30);
    assert.equal(config.recorder.cameras["cam-0a1b2c3d4e5f"]?.forward, "on-demand");
  });

  it("config.example.yaml documents every key", async () => {
    const example = parseYaml(
      await readFile(join(REPO_ROOT, "config.example.yaml"), "utf8"),
    ) as Record<string, unknown>;
    const text = await readFile(join(REPO_ROOT, "config.example.yaml"), "utf8");
    for (const leaf of listLeaves(configSchema)) {
      let node: unknown = example;
      for (const key of leaf.path) node = (node as Record<string, unknown> | undefined)?.[key];
      const last = leaf.path.at(-1) ?? "";
      // Keys left commented out in the example still have to be shown, with their comment.
      assert.ok(
        node !== undefined || text.includes(`# ${last}:`),
        `config.example.yaml does not document ${leaf.path.join(".")}`,
      );
    }
  });

  it("the committed config.schema.json is the generated one", async () => {
    const committed = JSON.parse(
      await readFile(join(REPO_ROOT, "config.schema.json"), "utf8"),
    ) as unknown;
    assert.deepEqual(committed, configJsonSchema(), "run `npm run schema` and commit the result");
  });

  it("lists every problem at once, each with its key path and line", () => {
    const issues = issuesOf(
      [
        "site:",
        "  id: Bad_Id",
        "  colour: red",
        "storage:",
        "  maxBytes: lots",
        "audit:",
        "  baseline: nist",
      ].join("\n"),
    );
    const byPath = new Map(issues.map((issue) => [issue.path, issue]));
    assert.deepEqual([...byPath.keys()].sort(), [
      "audit.baseline",
      "site.colour",
      "site.id",
      "storage.maxBytes",
    ]);
    const line = (path: string) => {
      const source = byPath.get(path)?.source;
      return source?.kind === "file" ? source.line : undefined;
    };
    assert.equal(line("site.id"), 2);
    assert.equal(line("site.colour"), 3);
    assert.equal(line("storage.maxBytes"), 5);
    assert.equal(line("audit.baseline"), 7);
  });

  it("requires mutual-TLS material once a broker is configured", () => {
    const issues = issuesOf(
      `${MINIMAL}uplink:\n  brokers: [mqtts://center.example:8883]\n  ca: /ca.pem\n`,
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), ["uplink.cert", "uplink.key"]);
  });

  it("refuses plain mqtt:// brokers", () => {
    const issues = issuesOf(
      `${MINIMAL}uplink:\n  brokers: [mqtt://center.example:1883]\n  ca: a\n  cert: b\n  key: c\n`,
    );
    assert.equal(issues[0]?.path, "uplink.brokers.0");
    assert.match(issues[0]?.message ?? "", /mqtts/);
  });

  it("refuses YAML aliases that expand without bound", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 9; level++) {
      const prev = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const issues = issuesOf(`${MINIMAL}${bomb.join("\n")}\n`);
    assert.match(issues[0]?.message ?? "", /alias|Excessive/i);
  });
});

describe("environment overrides", () => {
  it("override a nested value, parsed by the key's type", () => {
    const config = parseConfigText(MINIMAL, "camgate.yaml", {
      CAMGATE_STORAGE_MAX_BYTES: "64GiB",
      CAMGATE_UPLINK_OUTBOX_MAX_MESSAGES: "5000",
      CAMGATE_DISCOVERY_ENABLED: "false",
      CAMGATE_DISCOVERY_CIDRS: "[127.0.0.0/24, 127.0.1.0/24]",
      CAMGATE_SITE_NAME: "Trạm: 01 # not a comment",
    });
    assert.equal(config.storage.maxBytes, 64 * 2 ** 30);
    assert.equal(config.uplink.outbox.maxMessages, 5000);
    assert.equal(config.discovery.enabled, false);
    assert.deepEqual(config.discovery.cidrs, ["127.0.0.0/24", "127.0.1.0/24"]);
    assert.equal(config.site.name, "Trạm: 01 # not a comment");
  });

  it("win over the file", () => {
    const config = parseConfigText(`${MINIMAL}storage:\n  segmentSeconds: 6\n`, "camgate.yaml", {
      CAMGATE_STORAGE_SEGMENT_SECONDS: "4",
    });
    assert.equal(config.storage.segmentSeconds, 4);
  });

  it("name the variable when their value is wrong", () => {
    const issues = issuesOf(MINIMAL, { CAMGATE_AUDIT_CONCURRENCY: "many" });
    assert.equal(issues[0]?.path, "audit.concurrency");
    assert.deepEqual(issues[0]?.source, { kind: "env", name: "CAMGATE_AUDIT_CONCURRENCY" });
  });

  it("refuse a variable that names no key, but leave the reserved ones alone", () => {
    const issues = issuesOf(MINIMAL, {
      CAMGATE_STORAGE_MAXBYTES: "1",
      CAMGATE_FFMPEG: "/x",
      CAMGATE_CONFIG: "/y",
    });
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]?.source, { kind: "env", name: "CAMGATE_STORAGE_MAXBYTES" });
  });

  it("map one variable to exactly one key", () => {
    const leaves = listLeaves(configSchema);
    assert.equal(
      envOverrideTable().size,
      leaves.length,
      "two keys share an environment variable name",
    );
    assert.equal(envNameFor(["uplink", "maxBitsPerSecond"]), "CAMGATE_UPLINK_MAX_BITS_PER_SECOND");
  });
});

describe("config reload", () => {
  const base = [
    "site: {id: s1}",
    "store: {path: /tmp/x.db}",
    "storage: {dir: /tmp/rec, maxBytes: 1GiB}",
    "recorder: {forward: continuous}",
  ];
  const parse = (lines: string[]) => parseConfigText(lines.join("\n"), "camgate.yaml", {});

  it("applies quotas, camera overrides and forward modes, and names what needs a restart", () => {
    const current = parse(base);
    const next = parse([
      "site: {id: s1, name: Renamed}",
      "store: {path: /tmp/x.db}",
      "storage: {dir: /tmp/rec, maxBytes: 2GiB, minFreeBytes: 5GiB}",
      "recorder: {forward: on-demand, cameras: {cam-1: {enabled: false}}}",
    ]);
    const plan = planReload(current, next);
    assert.deepEqual(plan.apply.sort(), [
      "recorder.cameras.cam-1",
      "recorder.forward",
      "storage.maxBytes",
      "storage.minFreeBytes",
    ]);
    assert.deepEqual(plan.restart, ["site.name"]);
    const storage = current.storage;
    applyReload(current, next);
    assert.equal(storage.maxBytes, 2 * 1024 ** 3, "in place: components hold the slices");
    assert.equal(current.recorder.forward, "on-demand");
    assert.equal(current.recorder.cameras["cam-1"]?.enabled, false);
    assert.equal(current.site.name, undefined, "not reloadable, not applied");
  });
});
