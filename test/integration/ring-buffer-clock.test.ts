import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { RingBuffer } from "../../src/retention/index.js";
import { Store } from "../../src/store/index.js";
import { defer, tempDir } from "../helpers/temp.js";

const SEGMENT = 1000;

describe("ring buffer after the box clock was stepped back", () => {
  it("evicts in the order segments were recorded (by id), not by their start times", async (t) => {
    const dir = await tempDir(t);
    const recordings = join(dir, "recordings");
    const config = parseConfigText(
      `site: {id: s}\nstore: {path: ${join(dir, "db.sqlite")}}\nstorage: {dir: ${recordings}, maxBytes: 3000, minFreeBytes: 0}`,
      "test.yaml",
      {},
    );
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    defer(t, () => store.close());
    const bus = new EventBus<AgentEvents>(() => undefined);
    const folder = join(recordings, "cam-a", "2026-11-23", "02");
    await mkdir(folder, { recursive: true });
    // Two segments, then the clock steps back an hour (NTP after a boot without RTC), two more:
    // the newest video now has the earliest start times.
    const startsMs = [7_200_000, 7_210_000, 3_620_000, 3_630_000];
    const ids: number[] = [];
    for (const [index, startMs] of startsMs.entries()) {
      const path = join(folder, `${index}.ts`);
      await writeFile(path, Buffer.alloc(SEGMENT, index));
      ids.push(
        repos.segments.insert({
          cameraId: "cam-a",
          path,
          startMs,
          endMs: startMs + 10_000,
          bytes: SEGMENT,
          sha256: "00".repeat(32),
          state: "closed",
        }).id,
      );
    }
    const ringBuffer = new RingBuffer({
      config: config.storage,
      store,
      events: new EventLog(store, bus, silentLogger()),
      bus,
      logger: silentLogger(),
      now: () => 8_000_000,
      disk: () => ({ totalBytes: 1e12, freeBytes: 1e12 }),
    });
    await ringBuffer.start(new AbortController().signal); // 4 stored, quota 3: one goes
    await ringBuffer.stop();
    assert.deepEqual(
      ids.map((id) => repos.segments.get(id)?.state),
      ["evicted", "closed", "closed", "closed"],
      "the first recorded goes, not the newest one that starts earliest",
    );
  });
});
