import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type LastUpdate,
  lastUpdateOrError,
  readLastUpdate,
  UpdateStateError,
  updateStatePath,
  writeLastUpdate,
} from "../../src/lifecycle/update-state.js";
import { tempDir } from "../helpers/temp.js";

const rolledBack: Omit<LastUpdate, "schema"> = {
  result: "rolled-back",
  version: "0.2.0",
  fromVersion: "0.1.0",
  source: "uplink",
  finishedAt: "2026-12-02T20:30:00.000Z",
  reason: "not healthy within 300 s: uplink down",
};

describe("update-state: the outcome of the last update, for status and health", () => {
  it("lives beside the store, in the service's state directory", () => {
    assert.equal(
      updateStatePath("/var/lib/camgate/camgate.db"),
      "/var/lib/camgate/update-result.json",
    );
  });

  it("is null before any update, and reads back what was written, replacing the previous", async (t) => {
    const file = join(await tempDir(t), "update-result.json");
    assert.equal(readLastUpdate(file), null);
    assert.equal(lastUpdateOrError(file), null);
    await writeLastUpdate(file, { ...rolledBack, result: "refused", reason: "bad signature" });
    await writeLastUpdate(file, rolledBack);
    assert.deepEqual(readLastUpdate(file), { schema: "camgate.update-result/1", ...rolledBack });
    assert.deepEqual(JSON.parse(await readFile(file, "utf8")), {
      schema: "camgate.update-result/1",
      ...rolledBack,
    });
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.deepEqual(await readdir(join(file, "..")), ["update-result.json"], "no temp file left");
  });

  it("writes nothing that it would not read back", async (t) => {
    const file = join(await tempDir(t), "update-result.json");
    const bad: Omit<LastUpdate, "schema">[] = [
      { ...rolledBack, result: "maybe" as LastUpdate["result"] },
      { ...rolledBack, finishedAt: "yesterday" },
      { ...rolledBack, version: "" },
    ];
    for (const update of bad) await assert.rejects(writeLastUpdate(file, update));
    assert.equal(readLastUpdate(file), null);
  });

  it("says why a record it cannot use is unusable, naming the file", async (t) => {
    const dir = await tempDir(t);
    const cases: [string, string, RegExp][] = [
      ["truncated", '{"schema":"camgate.update-result/1","res', /is not JSON/],
      ["other shape", JSON.stringify({ result: "installed" }), /is not an update result/],
      [
        "unknown field",
        JSON.stringify({ schema: "camgate.update-result/1", ...rolledBack, extra: 1 }),
        /is not an update result/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = join(dir, `${name}.json`);
      await writeFile(file, text);
      assert.throws(
        () => readLastUpdate(file),
        (error: unknown) =>
          error instanceof UpdateStateError && message.test(error.message) && error.file === file,
        name,
      );
      const shown = lastUpdateOrError(file);
      assert.ok(shown !== null && "error" in shown && shown.error.startsWith(file), name);
    }
  });

  it("a record it cannot read is an error, not 'no update'", async (t) => {
    const file = join(await tempDir(t), "update-result.json");
    await mkdir(file);
    assert.throws(() => readLastUpdate(file), /cannot be read: EISDIR/);
  });
});
