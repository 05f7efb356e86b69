import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCamgate } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const VALID = "site:\n  id: test-site\n";

/** Each file is wrong in one way; the CLI must exit 78 and name the key path (and line). */
const INVALID: { name: string; yaml: string; path: string; line?: number }[] = [
  { name: "unknown top-level key", yaml: `${VALID}colour: red\n`, path: "colour", line: 3 },
  {
    name: "unknown nested key",
    yaml: `${VALID}storage:\n  maxByte: 1GiB\n`,
    path: "storage.maxByte",
    line: 4,
  },
  {
    name: "wrong type",
    yaml: `${VALID}storage:\n  segmentSeconds: ten\n`,
    path: "storage.segmentSeconds",
    line: 4,
  },
  {
    name: "bad size string",
    yaml: `${VALID}storage:\n  maxBytes: 12 parsecs\n`,
    path: "storage.maxBytes",
    line: 4,
  },
  {
    name: "duration without unit",
    yaml: `${VALID}discovery:\n  probeTimeout: 3\n`,
    path: "discovery.probeTimeout",
    line: 4,
  },
  { name: "missing required key", yaml: "site:\n  name: Trạm 1\n", path: "site.id", line: 1 },
  { name: "missing required section", yaml: "storage:\n  segmentSeconds: 10\n", path: "site" },
  {
    name: "value out of range",
    yaml: `${VALID}storage:\n  maxPercent: 150\n`,
    path: "storage.maxPercent",
    line: 4,
  },
  {
    name: "unknown enum value",
    yaml: `${VALID}audit:\n  baseline: iso27001\n`,
    path: "audit.baseline",
    line: 4,
  },
  {
    name: "bad CIDR in a list",
    yaml: `${VALID}discovery:\n  cidrs: [127.0.0.0/24, 300.1.2.3/8]\n`,
    path: "discovery.cidrs.1",
    line: 4,
  },
  {
    name: "cleartext broker",
    yaml: `${VALID}uplink:\n  brokers: [mqtt://center:1883]\n  ca: a\n  cert: b\n  key: c\n`,
    path: "uplink.brokers.0",
    line: 4,
  },
  {
    name: "broker without mTLS files",
    yaml: `${VALID}uplink:\n  brokers: [mqtts://center:8883]\n`,
    path: "uplink.cert",
    line: 3,
  },
  { name: "invalid site id", yaml: "site:\n  id: Site/1#\n", path: "site.id", line: 2 },
  {
    name: "bad per-camera override",
    yaml: `${VALID}recorder:\n  cameras:\n    cam-1:\n      forward: sometimes\n`,
    path: "recorder.cameras.cam-1.forward",
    line: 6,
  },
  { name: "malformed YAML", yaml: `${VALID}storage:\n  dir: [unclosed\n`, path: "(document)" },
  { name: "duplicate key", yaml: `${VALID}  id: other\n`, path: "(document)", line: 3 },
  { name: "not a mapping", yaml: "- just\n- a list\n", path: "(document)" },
];

describe("camgate config check", () => {
  for (const testCase of INVALID) {
    it(`exits 78 naming the key: ${testCase.name}`, async (t) => {
      const file = join(await tempDir(t), "camgate.yaml");
      await writeFile(file, testCase.yaml);
      const result = await runCamgate(["config", "check", "--config", file]);
      assert.equal(result.code, 78, result.stderr);
      assert.equal(result.stdout, "");
      const where = testCase.line === undefined ? file : `${file}:${testCase.line}`;
      assert.ok(
        result.stderr.includes(`${where}`) && result.stderr.includes(`${testCase.path}: `),
        `expected "${where}" and "${testCase.path}" in:\n${result.stderr}`,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    });
  }

  it("lists every problem of a file in one run, as JSON with --json", async (t) => {
    const file = join(await tempDir(t), "camgate.yaml");
    await writeFile(
      file,
      "site:\n  id: BAD\nstorage:\n  maxBytes: lots\n  segmentSeconds: 1\nextra: true\n",
    );
    const result = await runCamgate(["config", "check", "--config", file, "--json"]);
    assert.equal(result.code, 78);
    const body = JSON.parse(result.stdout) as {
      ok: boolean;
      issues: { path: string; source: { line?: number } }[];
    };
    assert.equal(body.ok, false);
    assert.deepEqual(body.issues.map((issue) => `${issue.path}@${issue.source.line}`).sort(), [
      "extra@6",
      "site.id@2",
      "storage.maxBytes@4",
      "storage.segmentSeconds@5",
    ]);
  });

  it("accepts config.example.yaml, once the uplink's files it names exist", async (t) => {
    const dir = await tempDir(t);
    const env: Record<string, string> = {};
    for (const [key, name] of [
      ["CA", "ca.pem"],
      ["CERT", "box.pem"],
      ["KEY", "box.key"],
    ] as const) {
      env[`CAMGATE_UPLINK_${key}`] = join(dir, name);
      await writeFile(join(dir, name), "-----BEGIN-----\n", { mode: 0o600 });
    }
    const missing = await runCamgate(["config", "check", "--config", "config.example.yaml"]);
    assert.equal(missing.code, 78, missing.stdout);
    assert.match(missing.stderr, /uplink\.ca: \/etc\/camgate\/ca\.pem does not exist/);
    const result = await runCamgate(["config", "check", "--config", "config.example.yaml"], {
      env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /config\.example\.yaml: ok/);
    assert.match(result.stdout, /site\s+hn-hoankiem-cp01/);
  });

  it("finds the file through CAMGATE_CONFIG and applies overrides", async (t) => {
    const file = join(await tempDir(t), "camgate.yaml");
    await writeFile(file, VALID);
    const result = await runCamgate(["config", "check", "--json"], {
      env: {
        CAMGATE_CONFIG: file,
        CAMGATE_STORAGE_MAX_BYTES: "2GiB",
        CAMGATE_UPLINK_OUTBOX_MAX_MESSAGES: "500",
      },
    });
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout) as {
      file: string;
      config: { storage: { maxBytes: number }; uplink: { outbox: { maxMessages: number } } };
    };
    assert.equal(body.file, file);
    assert.equal(body.config.storage.maxBytes, 2 * 2 ** 30);
    assert.equal(body.config.uplink.outbox.maxMessages, 500);
  });

  it("names a bad override variable, exit 78", async (t) => {
    const file = join(await tempDir(t), "camgate.yaml");
    await writeFile(file, VALID);
    const result = await runCamgate(["config", "check", "--config", file], {
      env: { CAMGATE_STORAGE_SEGMENT_SECONDS: "ten" },
    });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /CAMGATE_STORAGE_SEGMENT_SECONDS \(storage\.segmentSeconds\)/);
  });

  it("says when the file does not exist, exit 78", async () => {
    const result = await runCamgate(["config", "check", "--config", "/nonexistent/camgate.yaml"]);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /\/nonexistent\/camgate\.yaml: \(document\): file not found/);
  });
});

describe("camgate CLI conventions", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    const result = await runCamgate(["--version"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  it("usage errors exit 2", async () => {
    assert.equal((await runCamgate(["no-such-command"])).code, 2);
    assert.equal((await runCamgate(["config", "check", "--no-such-flag"])).code, 2);
    assert.equal((await runCamgate(["--log-level", "loud", "config", "env"])).code, 2);
  });

  it("config schema prints a JSON Schema that refuses unknown keys", async () => {
    const result = await runCamgate(["config", "schema"]);
    assert.equal(result.code, 0);
    const schema = JSON.parse(result.stdout) as {
      additionalProperties: boolean;
      required: string[];
    };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ["site"]);
  });

  it("config env lists the override variables", async () => {
    const result = await runCamgate(["config", "env", "--json"]);
    const rows = JSON.parse(result.stdout) as { name: string; key: string }[];
    assert.ok(
      rows.some(
        (row) => row.name === "CAMGATE_STORAGE_MAX_BYTES" && row.key === "storage.maxBytes",
      ),
    );
  });
});
