import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { stringify } from "yaml";
import { ConfigError, envOverrideTable, parseConfigText } from "../../src/config/index.js";
import { expectTyped, fuzz, mutated } from "./harness.js";

const EXAMPLE = fileURLToPath(new URL("../../../config.example.yaml", import.meta.url));
const YAML_NOISE = [
  "\n",
  "  ",
  "\t",
  ": ",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "&a ",
  "*a",
  "!!binary ",
  "!!js/function ",
  "<<: *a",
  "~",
  "null",
  "-1",
  "1e999",
  "0x7fffffffffffffff",
  "64TiB",
  "10 parsecs",
  "'",
  '"',
  "#",
  "---\n",
  "...\n",
];

/**
 * Runs the loader with process warnings caught: a loader that lets the YAML library print a
 * warning to stderr has accepted something it should have refused.
 */
function loadQuietly(load: () => void): void {
  const warnings: string[] = [];
  const original = Object.getOwnPropertyDescriptor(process, "emitWarning");
  Object.defineProperty(process, "emitWarning", {
    configurable: true,
    value: (warning: string | Error) => warnings.push(String(warning).slice(0, 120)),
  });
  try {
    load();
  } finally {
    if (original) Object.defineProperty(process, "emitWarning", original);
  }
  assert.deepEqual(warnings, [], "the loader printed warnings instead of refusing");
}

/** Each problem names where it is: a key path, or a line of the file. */
function checkRefusal(error: unknown): void {
  expectTyped(error, ConfigError);
  const issues = (error as ConfigError).issues;
  assert.ok(issues.length > 0, "a refusal lists its problems");
  for (const issue of issues) {
    const located =
      issue.path !== "" ||
      (issue.source.kind === "file" && issue.source.line !== undefined) ||
      issue.source.kind === "env";
    assert.ok(located, `an issue without a place: ${JSON.stringify(issue)}`);
  }
}

describe("fuzzing: the config loader", () => {
  let example = "";
  before(async () => {
    example = await readFile(EXAMPLE, "utf8");
    parseConfigText(example, "example.yaml", {});
  });

  it("edited example files load or are refused with every problem placed", async () => {
    const aliasBomb = [
      "a: &a [x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join("\n");
    const text = fc.oneof(
      { weight: 5, arbitrary: mutated([example], YAML_NOISE) },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 4 }).map((value) => stringify(value) ?? "") },
      { weight: 1, arbitrary: fc.constant(aliasBomb) },
      { weight: 1, arbitrary: fc.string({ maxLength: 500, unit: "binary" }) },
    );
    await fuzz(
      "config-file",
      text,
      (yaml) => {
        loadQuietly(() => {
          try {
            parseConfigText(yaml, "fuzz.yaml", {});
          } catch (error) {
            checkRefusal(error);
          }
        });
      },
      { seed: 0xc0f, numRuns: 1500 },
    );
  });

  it("environment overrides of any key with any value load or are refused, naming the variable", async () => {
    const names = [...envOverrideTable().keys()];
    const env = fc.dictionary(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...names) },
        fc.string({ maxLength: 20 }).map((s) => `CAMGATE_${s}`),
      ),
      fc.oneof(
        fc.constantFrom("true", "0", "-1", "64GiB", "[a, b]", "{x: 1}", "", "1e999", "10s", "*a"),
        fc.string({ maxLength: 40 }),
      ),
      { maxKeys: 4 },
    );
    await fuzz(
      "config-env",
      env,
      (variables) => {
        loadQuietly(() => {
          try {
            parseConfigText(example, "example.yaml", variables);
          } catch (error) {
            checkRefusal(error);
          }
        });
      },
      { seed: 0xe57, numRuns: 1500 },
    );
  });
});
