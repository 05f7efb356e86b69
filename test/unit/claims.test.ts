import assert from "node:assert/strict";
import { lstat, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { claim, claimHolder, release } from "../../src/center/claims.js";
import { tempDir } from "../helpers/temp.js";

describe("claims (center/claims)", () => {
  it("a claim is a link naming its holder: another worker is refused, the holder's next run is not", async (t) => {
    const path = join(await tempDir(t), "events.jsonl.ab12.claim");
    assert.equal(await claimHolder(path), undefined);
    assert.equal(await claim(path, "w-a"), "ours");
    assert.equal((await lstat(path)).isSymbolicLink(), true);
    assert.equal(await readlink(path), "w-a");
    assert.equal(await claimHolder(path), "w-a");
    assert.equal(await claim(path, "w-b"), "theirs");
    assert.equal(await claim(path, "w-a"), "ours", "left by a run of ours that was killed");
    await release(path);
    assert.equal(await claimHolder(path), undefined);
    assert.equal(await claim(path, "w-b"), "ours");
  });

  it("of workers claiming at once, exactly one gets it", async (t) => {
    const path = join(await tempDir(t), "cam-1.finishing");
    const workers = Array.from({ length: 8 }, (_, i) => `w-${i}`);
    const outcomes = await Promise.all(workers.map((worker) => claim(path, worker)));
    assert.equal(outcomes.filter((outcome) => outcome === "ours").length, 1);
    assert.equal(await claimHolder(path), workers[outcomes.indexOf("ours")]);
  });

  it("reads a claim file an earlier version wrote (the holder as its content)", async (t) => {
    const path = join(await tempDir(t), "old.claim");
    await writeFile(path, "w-a");
    assert.equal(await claimHolder(path), "w-a");
    assert.equal(await claim(path, "w-b"), "theirs");
    assert.equal(await claim(path, "w-a"), "ours");
  });
});
