import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CenterFiles } from "../../src/center/center-files.js";
import { claimName } from "../../src/center/claims.js";
import { Scratch } from "../../src/center/scratch.js";
import { LOG_WINDOW_KEYS, SharedLog, SharedLogs } from "../../src/center/shared-log.js";
import type { ParsedTopic } from "../../src/protocol/index.js";
import { tempDir } from "../helpers/temp.js";

async function worker(dir: string, id: string): Promise<CenterFiles> {
  const scratch = new Scratch(join(dir, `.scratch-${id}`));
  await scratch.clear();
  return new CenterFiles(dir, { worker: id, scratch, logs: new SharedLogs() });
}

const events: ParsedTopic = { siteId: "site-u", cameraId: null, family: "events" };
const status: ParsedTopic = { siteId: "site-u", cameraId: null, family: "status" };
const record = (msgId: string, n = 0) => ({ msgId, payload: { n } });

async function lines(file: string): Promise<{ msgId?: string }[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msgId?: string });
}

describe("CenterFiles", () => {
  it("keeps each message id once across workers, and after a restart", async (t) => {
    const dir = await tempDir(t);
    const [a, b] = [await worker(dir, "w-a"), await worker(dir, "w-b")];
    const file = join(dir, "site-u", "events.jsonl");
    assert.equal(await a.keep(events, "ab12-1", record("ab12-1"), false), "kept");
    assert.equal(await b.keep(events, "ab12-1", record("ab12-1"), false), "duplicate");
    assert.equal(await b.keep(events, "ab12-3", record("ab12-3"), false), "kept");
    // Older than one kept, yet never kept: a shared subscription does not keep the order.
    assert.equal(await a.keep(events, "ab12-2", record("ab12-2"), false), "kept");
    const restarted = await worker(dir, "w-a");
    assert.equal(await restarted.keep(events, "ab12-3", record("ab12-3"), false), "duplicate");
    assert.deepEqual(
      (await lines(file)).map((line) => line.msgId),
      ["ab12-1", "ab12-3", "ab12-2"],
    );
  });

  it("a claim another worker holds means that worker keeps it; our own claim, from a killed run, is ours", async (t) => {
    const dir = await tempDir(t);
    const a = await worker(dir, "w-a");
    assert.equal(await a.keep(events, "ab12-1", record("ab12-1"), false), "kept");
    const file = join(dir, "site-u", "events.jsonl");
    await writeFile(`${file}.${claimName("ab12-2")}.claim`, "w-b");
    assert.equal(await a.keep(events, "ab12-2", record("ab12-2"), false), "duplicate");
    await writeFile(`${file}.${claimName("ab12-3")}.claim`, "w-a");
    assert.equal(await a.keep(events, "ab12-3", record("ab12-3"), false), "kept");
    assert.deepEqual(
      (await lines(file)).map((line) => line.msgId),
      ["ab12-1", "ab12-3"],
    );
  });

  it("a claim left by a run killed after its append goes when the message comes again", async (t) => {
    const dir = await tempDir(t);
    const a = await worker(dir, "w-a");
    assert.equal(await a.keep(events, "ab12-1", record("ab12-1"), false), "kept");
    const claimFile = join(dir, "site-u", `events.jsonl.${claimName("ab12-1")}.claim`);
    await writeFile(claimFile, "w-a"); // killed between its append and its release
    const restarted = await worker(dir, "w-a");
    assert.equal(await restarted.keep(events, "ab12-1", record("ab12-1"), false), "duplicate");
    assert.equal(existsSync(claimFile), false, "the claim guards nothing any more");
  });

  it("state: the newest message of a box database wins; another database starts over", async (t) => {
    const dir = await tempDir(t);
    const a = await worker(dir, "w-a");
    const file = join(dir, "site-u", "status.json");
    const kept = async () => (JSON.parse(await readFile(file, "utf8")) as { msgId: string }).msgId;
    assert.equal(await a.keep(status, "ab12-5", record("ab12-5"), true), "kept");
    assert.equal(await a.keep(status, "ab12-4", record("ab12-4"), true), "duplicate");
    assert.equal(await a.keep(status, "ab12-5", record("ab12-5"), true), "duplicate");
    assert.equal(await kept(), "ab12-5");
    assert.equal(await a.keep(status, "cd34-1", record("cd34-1"), true), "kept");
    assert.equal(await kept(), "cd34-1");
  });
});

describe("SharedLog", () => {
  it("reads what another worker appended, skips a line a crash cut short, and starts a line after it", async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, "events.jsonl");
    const [mine, theirs] = [new SharedLog(file), new SharedLog(file)];
    await theirs.append(record("ab12-1"));
    assert.equal(await mine.get("m:ab12-1"), "");
    await appendFile(file, '{"msgId":"ab12-2","payl');
    await mine.append(record("ab12-3"));
    assert.equal(await theirs.get("m:ab12-2"), undefined);
    assert.equal(await theirs.get("m:ab12-3"), "");
    const text = await readFile(file, "utf8");
    assert.equal(text.split("\n").at(-2), JSON.stringify(record("ab12-3")));
  });

  it("remembers the last keys only, and a segment's hash by its id", async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, "segments.jsonl");
    const log = new SharedLog(file);
    const entry = (seq: number) =>
      JSON.stringify({ msgId: `ab12-${seq}`, payload: { segmentId: seq, sha256: `h${seq}` } });
    await writeFile(
      file,
      `${Array.from({ length: LOG_WINDOW_KEYS }, (_, i) => entry(i + 1)).join("\n")}\n`,
    );
    assert.equal(await log.get(`s:${LOG_WINDOW_KEYS}`), `h${LOG_WINDOW_KEYS}`);
    assert.equal(await log.get(`m:ab12-${LOG_WINDOW_KEYS}`), "");
    assert.equal(await log.get("m:ab12-1"), undefined, "out of the window");
  });
});
