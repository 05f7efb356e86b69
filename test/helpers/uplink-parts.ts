import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import type { AgentEvents } from "../../src/agent-events.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SiteTopics } from "../../src/protocol/index.js";
import { type SegmentRecord, Store } from "../../src/store/index.js";
import { Outbox, OutboxSender } from "../../src/uplink/index.js";
import { FakeUplink } from "./fake-uplink.js";
import { type CleanupScope, defer, tempDir } from "./temp.js";

/** A store, a bus, the fake link and the outbox: what every uplink consumer is built on. */
export interface UplinkParts {
  dir: string;
  store: Store;
  bus: EventBus<AgentEvents>;
  link: FakeUplink;
  topics: SiteTopics;
  outbox: Outbox;
  events: EventLog;
  /** A real outbox sender on the fake link, started. */
  sender: () => Promise<OutboxSender>;
}

export async function uplinkParts(t: CleanupScope): Promise<UplinkParts> {
  const dir = await tempDir(t);
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  await store.start(new AbortController().signal);
  defer(t, () => store.stop());
  const bus = new EventBus<AgentEvents>(() => undefined);
  const link = new FakeUplink(bus);
  const outbox = new Outbox(store, { outbox: { maxMessages: 10_000, maxBytes: 1 << 24 } }, bus);
  const events = new EventLog(store, bus, silentLogger());
  return {
    dir,
    store,
    bus,
    link,
    topics: new SiteTopics("site-a"),
    outbox,
    events,
    sender: async () => {
      const sender = new OutboxSender({ store, session: link, bus, logger: silentLogger() });
      await sender.start(new AbortController().signal);
      defer(t, () => sender.stop());
      return sender;
    },
  };
}

/** Turns of the event loop until `done` holds; the test's own timeout bounds the wait. */
export async function until(done: () => boolean): Promise<void> {
  while (!done()) await tick();
}

/** A closed segment of `bytes` random bytes, on disk and indexed, of an approved camera. */
export async function closedSegment(
  parts: UplinkParts,
  cameraId: string,
  bytes: number,
): Promise<SegmentRecord> {
  const { repos } = parts.store;
  if (!repos.cameras.get(cameraId)) {
    repos.cameras.upsert(
      {
        id: cameraId,
        urn: `urn:uuid:${cameraId}`,
        mac: null,
        ip: "127.0.0.1",
        xaddrs: [],
        manufacturer: "Test",
        model: "T-1",
        firmware: "1",
        serial: null,
        hardware: null,
        name: cameraId,
        profiles: [],
        clockOffsetMs: 0,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
  }
  const content = randomBytes(bytes);
  const path = join(parts.dir, `${cameraId}-${Date.now()}-${bytes}.ts`);
  await writeFile(path, content);
  const endMs = Date.now();
  return repos.segments.insert({
    cameraId,
    path,
    startMs: endMs - 10_000,
    endMs,
    bytes,
    sha256: createHash("sha256").update(content).digest("hex"),
    state: "closed",
  });
}
