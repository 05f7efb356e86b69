import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CenterVideo, type ReceivedSegment } from "../../src/center/center-video.js";
import { Scratch } from "../../src/center/scratch.js";
import { SharedLogs } from "../../src/center/shared-log.js";
import { chunkCount, type ChunkHeader, type ParsedMediaTopic } from "../../src/protocol/index.js";
import { tempDir } from "../helpers/temp.js";

const CHUNK = 16 * 1024;
const topic: ParsedMediaTopic = {
  siteId: "site-u",
  cameraId: "cam-1",
  kind: "video",
  segmentId: 7,
};

/** A center worker as a process of its own would have it: its id, scratch folder and memory. */
async function worker(dir: string, id: string): Promise<CenterVideo> {
  const scratch = new Scratch(join(dir, `.scratch-${id}`));
  await scratch.clear();
  return new CenterVideo((site) => join(dir, site), {
    worker: id,
    scratch,
    logs: new SharedLogs(),
  });
}

function segment(bytes: number, segmentId = 7) {
  const data = randomBytes(bytes);
  const header: Omit<ChunkHeader, "chunk"> = {
    segmentId,
    chunks: chunkCount(bytes, CHUNK),
    chunkBytes: CHUNK,
    bytes,
    sha256: createHash("sha256").update(data).digest("hex"),
    start: "2026-11-23T10:00:00.000Z",
    end: "2026-11-23T10:00:10.000Z",
  };
  const chunk = (i: number) => ({
    header: { ...header, chunk: i },
    payload: data.subarray(i * CHUNK, Math.min(bytes, (i + 1) * CHUNK)),
  });
  return { data, header, chunk };
}

const videoDir = (dir: string) => join(dir, "site-u", "cameras", "cam-1", "video");

async function received(dir: string): Promise<ReceivedSegment[]> {
  const text = await readFile(join(videoDir(dir), "received.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReceivedSegment);
}

describe("CenterVideo", () => {
  it("two workers each given some chunks of one segment, in any order and some twice, make it once", async (t) => {
    const dir = await tempDir(t);
    const [a, b] = [await worker(dir, "w-a"), await worker(dir, "w-b")];
    const { data, chunk } = segment(7 * CHUNK + 100);
    const order: [CenterVideo, number][] = [
      [b, 7],
      [a, 0],
      [b, 2],
      [a, 2],
      [a, 1],
      [b, 5],
      [a, 3],
      [b, 4],
      [a, 6],
    ];
    const outcomes = [];
    for (const [who, i] of order)
      outcomes.push(await who.chunk(topic, chunk(i).header, chunk(i).payload));
    const finished = outcomes.filter((o) => typeof o === "object");
    assert.equal(finished.length, 1);
    assert.equal(outcomes.filter((o) => o === "duplicate").length, 1, "chunk 2 twice");
    const [kept] = await received(dir);
    assert.equal((await received(dir)).length, 1);
    assert.equal(kept?.verified, true);
    assert.deepEqual(kept?.workers, ["w-a", "w-b"]);
    assert.equal(kept?.duplicates, 1);
    assert.deepEqual(await readFile(join(videoDir(dir), "7.ts")), data);
    assert.deepEqual((await readdir(videoDir(dir))).sort(), ["7.ts", "received.jsonl"]);
    // A late resend, to either worker: nothing changes.
    assert.equal(await a.chunk(topic, chunk(3).header, chunk(3).payload), "duplicate");
    assert.equal(await b.chunk(topic, chunk(3).header, chunk(3).payload), "duplicate");
    assert.deepEqual((await readdir(videoDir(dir))).sort(), ["7.ts", "received.jsonl"]);
  });

  it("a finishing left half-done by a killed worker is finished by its next run, not by another", async (t) => {
    const dir = await tempDir(t);
    const a = await worker(dir, "w-a");
    const { data, chunk } = segment(3 * CHUNK);
    for (const i of [0, 1]) await a.chunk(topic, chunk(i).header, chunk(i).payload);
    // The last chunk written and recorded, the claim taken, the file renamed: then kill -9.
    const key = join(videoDir(dir), "7");
    await writeFile(`${key}.part`, data);
    await writeFile(`${key}.part.chunks`, "0 w-a\n1 w-a\n2 w-a\n");
    await writeFile(`${key}.finishing`, "w-a");
    await rename(`${key}.part`, `${key}.ts`);

    const b = await worker(dir, "w-b");
    assert.equal(await b.chunk(topic, chunk(2).header, chunk(2).payload), "duplicate");
    assert.deepEqual(await received(dir), []);

    const again = await worker(dir, "w-a"); // the same worker id, a fresh process
    const outcome = await again.chunk(topic, chunk(2).header, chunk(2).payload);
    assert.equal(typeof outcome === "object" && outcome.verified, true);
    assert.equal((await received(dir)).length, 1);
    assert.deepEqual((await readdir(videoDir(dir))).sort(), ["7.ts", "received.jsonl"]);
  });

  it("refuses a chunk that does not match its transfer; keeps a zero-byte segment", async (t) => {
    const dir = await tempDir(t);
    const a = await worker(dir, "w-a");
    const { chunk } = segment(2 * CHUNK);
    assert.equal(await a.chunk(topic, chunk(0).header, chunk(0).payload), "kept");
    const other = segment(2 * CHUNK).chunk(1);
    assert.equal(await a.chunk(topic, other.header, other.payload), "refused", "another hash");
    assert.equal(await a.chunk(topic, chunk(1).header, Buffer.alloc(5)), "refused", "short");

    const empty = segment(0, 8).chunk(0);
    const outcome = await a.chunk({ ...topic, segmentId: 8 }, empty.header, empty.payload);
    assert.equal(typeof outcome === "object" && outcome.verified, true);
    assert.deepEqual(await a.missing(), [
      { site: "site-u", camera: "cam-1", segmentId: 7, chunks: 2, missing: [1] },
    ]);
  });
});
