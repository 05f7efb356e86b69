import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  emptyUpdateState,
  lastUpdateOrError,
  readUpdateState,
  UPDATE_STATE_SCHEMA,
  type UpdateResult,
  type UpdateState,
  writeUpdateState,
} from "../../src/lifecycle/update-state.js";
import { tempDir } from "../helpers/temp.js";

const rolledBack: UpdateResult = {
  outcome: "rolled_back",
  version: "0.2.0",
  from: "0.1.0",
  source: "uplink",
  reason: "not healthy within 300 s: uplink down",
  atMs: Date.parse("2026-12-02T20:30:00.000Z"),
  what: "release",
  reported: false,
};

describe("update-state: the update under way and the last result, for the guard, status and health", () => {
  it("is the empty state before any update, and reads back what was written", async (t) => {
    const file = join(await tempDir(t), "update-state.json");
    assert.deepEqual(await readUpdateState(file), emptyUpdateState());
    assert.equal(lastUpdateOrError(file), null);
    const state: UpdateState = { schema: UPDATE_STATE_SCHEMA, pending: null, last: rolledBack };
    await writeUpdateState(file, { ...state, last: { ...rolledBack, outcome: "refused" } });
    await writeUpdateState(file, state);
    assert.deepEqual(await readUpdateState(file), state);
    assert.deepEqual(JSON.parse(await readFile(file, "utf8")), state);
    assert.deepEqual(lastUpdateOrError(file), rolledBack);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.deepEqual(await readdir(join(file, "..")), ["update-state.json"], "no temp file left");
  });

  it("says why a state file it cannot use is unusable, naming the file, rather than 'no update'", async (t) => {
    const dir = await tempDir(t);
    const cases: [string, string, RegExp][] = [
      ["truncated", `{"schema":"${UPDATE_STATE_SCHEMA}","la`, /is not JSON/],
      ["other shape", JSON.stringify({ last: rolledBack }), /is not an update state/],
      ["not an object", "null", /is not an update state/],
    ];
    for (const [name, text, message] of cases) {
      const file = join(dir, `${name}.json`);
      await writeFile(file, text);
      await assert.rejects(readUpdateState(file), message, name);
      const shown = lastUpdateOrError(file);
      assert.ok(shown !== null && "error" in shown, name);
      assert.ok(shown.error.startsWith(file) && message.test(shown.error), shown.error);
    }
    const folder = join(dir, "folder.json");
    await mkdir(folder);
    const shown = lastUpdateOrError(folder);
    assert.ok(shown !== null && "error" in shown && /EISDIR/.test(shown.error));
  });
});
