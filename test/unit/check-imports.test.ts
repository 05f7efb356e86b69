import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  circles,
  type ImportGraph,
  importProblems,
  readGraph,
} from "../../scripts/check-imports.js";

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe("check-imports", () => {
  it("finds the circle the uplink wiring used to make", () => {
    const problems = importProblems(
      graph({
        "uplink/index.js": ["uplink/uplink.js"],
        "uplink/uplink.js": ["commands/index.js", "live/index.js"],
        "commands/index.js": ["commands/handlers.js"],
        "commands/handlers.js": ["live/index.js"],
        "live/index.js": ["live/live-streams.js"],
        "live/live-streams.js": ["uplink/index.js"],
      }),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", /import circle: .*uplink.*live/);
  });

  it("says what the center's entry loads that it must not, directly or not", () => {
    const problems = importProblems(
      graph({
        "center/index.js": ["center/center.js"],
        "center/center.js": ["protocol/index.js", "audit/index.js"],
        "audit/index.js": ["store/index.js"],
        "store/index.js": ["better-sqlite3"],
        "protocol/index.js": [],
      }),
    );
    assert.deepEqual(problems.sort(), [
      "the center's entry loads audit/index.js",
      "the center's entry loads better-sqlite3",
      "the center's entry loads store/index.js",
    ]);
  });

  it("keeps the wire contract free of the project and mqtt.js in the session", () => {
    const problems = importProblems(
      graph({
        "protocol/topics.js": ["store/index.js"],
        "store/index.js": [],
        "live/live-streams.js": ["mqtt"],
        "uplink/session.js": ["mqtt"],
      }),
    );
    assert.deepEqual(problems.sort(), [
      "only the uplink session talks to mqtt.js, not live/live-streams.js",
      "the wire contract imports the project: protocol/topics.js -> store/index.js",
    ]);
  });

  it("a self-import is a circle too", () => {
    assert.equal(circles(graph({ "a.js": ["a.js"] })).length, 1);
  });

  it("the compiled project keeps every rule", () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");
    const modules = readGraph(root);
    assert.ok(modules.has("center/index.js") && modules.has("uplink/session.js"));
    assert.deepEqual(importProblems(modules), []);
  });
});
