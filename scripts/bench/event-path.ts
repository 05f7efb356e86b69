// The agent's per-event path, in process: PullMessages replies parsed and normalised, the events
// stored (EventLog, the triggers of migration 12), copied into the outbox (UplinkPublishers),
// event windows opened (EventHolds), the video forwarder woken, and the outbox sent through a
// session that acknowledges each message on the next turn of the event loop. Replies carry
// --batch changes each (5: a camera asked every 500 ms at 10 changes/s). Against a baseline
// measured in the same run: one durable commit per reply (its INSERTs, WAL, synchronous=FULL),
// the least any path that stores a reply's events before publishing them can cost.
//
//   npm run bench:event-path [-- --events 2000 --cameras 16 --rate 160 --batch 5 --rounds 3]
//
// Two figures per round: flat out (each event after the one before is published: CPU and wall
// time per event, the main thread's cost; each reply committed alone) and paced at --rate
// events/s over all cameras, the replies that come within 100 ms committed together as the agent
// does (ReplyCommits; latency from the reply's arrival to the publish, p50 and p95). Every event is checked to be
// published exactly once and in order per camera.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToLoop, setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import type { AgentEvents } from "../../src/agent-events.js";
import { EventNormaliser } from "../../src/camera-events/normalise.js";
import { readPulled } from "../../src/camera-events/pullpoint.js";
import { COMMIT_DELAY_MS, ReplyCommits } from "../../src/camera-events/reply-commits.js";
import { type Config, parseConfigText } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { DEFAULT_XML_LIMITS, parseXml } from "../../src/onvif/xml.js";
import { SiteTopics } from "../../src/protocol/index.js";
import { EventHolds } from "../../src/retention/index.js";
import { Store } from "../../src/store/index.js";
import { Outbox, OutboxSender, UplinkPublishers, VideoForwarder } from "../../src/uplink/index.js";
import type { PublishOptions, UplinkLink } from "../../src/uplink/link.js";
import { percentile } from "../soak/event-check.js";
import { type Figures, measure, median } from "./figures.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "2000" },
    cameras: { type: "string", default: "16" },
    rate: { type: "string", default: "160" },
    batch: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const EVENTS = Number(values.events);
const CAMERAS = Number(values.cameras);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
/** Changes per PullMessages reply: a camera asked every 500 ms at 10 changes/s sends 5. */
const BATCH = Number(values.batch);
const SITE = "bench-site";

/** A Hikvision-like PullMessagesResponse with motion changes, as the simulator writes it. */
function pullReply(states: readonly boolean[], atMs: number): Buffer {
  const iso = new Date(atMs).toISOString();
  const notification = (on: boolean) =>
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">` +
    `tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic><wsnt:Message>` +
    `<tt:Message UtcTime="${iso}" PropertyOperation="Changed"><tt:Source>` +
    `<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/>` +
    `<tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsToken"/>` +
    `<tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/></tt:Source><tt:Data>` +
    `<tt:SimpleItem Name="IsMotion" Value="${on}"/></tt:Data></tt:Message></wsnt:Message>` +
    `</wsnt:NotificationMessage>`;
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
      `xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ` +
      `xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics">` +
      `<s:Body><tev:PullMessagesResponse><tev:CurrentTime>${iso}</tev:CurrentTime>` +
      `<tev:TerminationTime>${new Date(atMs + 60_000).toISOString()}</tev:TerminationTime>` +
      states.map(notification).join("") +
      `</tev:PullMessagesResponse></s:Body></s:Envelope>`,
  );
}

const REPLIES = Math.ceil(EVENTS / BATCH);

/** Reply `n` of a run: BATCH changes of camera n % CAMERAS, its motion turning on and off. */
function nthReply(n: number, atMs: number): Buffer {
  const first = Math.floor(n / CAMERAS) * BATCH;
  return pullReply(
    Array.from({ length: BATCH }, (_, k) => (first + k) % 2 === 0),
    atMs,
  );
}

/** A broker that acknowledges every message on the next turn of the event loop. */
class AckingLink implements UplinkLink {
  readonly connected = true;
  /** Event payloads as published, with when. */
  readonly published: { payload: Buffer; atMs: number }[] = [];

  publish(topic: string, payload: Buffer | string, _options: PublishOptions): Promise<void> {
    if (topic.endsWith("/events"))
      this.published.push({ payload: Buffer.from(payload), atMs: performance.now() });
    return new Promise((resolve) => setImmediate(resolve));
  }

  subscribe(): () => void {
    return () => undefined;
  }

  reconnect(): void {}
}

function benchConfig(dir: string): Config {
  const text = [
    `site: {id: ${SITE}, name: bench}`,
    `store: {path: ${join(dir, "camgate.db")}}`,
    `secrets: {keyFile: ${join(dir, "seal.key")}}`,
    `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 10, maxBytes: 1GiB}`,
    "discovery: {enabled: false}",
    "audit: {enabled: false}",
    `uplink: {brokers: ["mqtts://127.0.0.1:8883"], ca: ${join(dir, "ca.pem")}, ` +
      `cert: ${join(dir, "box.pem")}, key: ${join(dir, "box.key")}}`,
    "",
  ].join("\n");
  return parseConfigText(text, join(dir, "camgate.yaml"), {});
}

interface Pipeline {
  /** One PullMessages reply for camera `index`, arrived now. */
  arrive(index: number, reply: Buffer): void;
  link: AckingLink;
  /** Resolves once `count` events were published. */
  published(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** The agent's parts an event goes through, wired as src/agent.ts and agent-uplink.ts do. */
async function pipeline(dir: string, commitDelayMs: number): Promise<Pipeline> {
  const config = benchConfig(dir);
  const logger = silentLogger();
  const bus = new EventBus<AgentEvents>((event, error) => {
    throw new Error(`listener of ${String(event)} failed`, { cause: error });
  });
  const store = new Store(config.store.path, logger);
  const repos = store.open();
  const cameraIds = Array.from({ length: CAMERAS }, (_, index) => `cam-${index}`);
  const nowMs = Date.now();
  for (const [index, id] of cameraIds.entries()) {
    repos.cameras.upsert(
      {
        id,
        urn: `urn:${id}`,
        mac: null,
        ip: `127.0.131.${10 + index}`,
        xaddrs: [`http://127.0.131.${10 + index}/onvif/device_service`],
        manufacturer: null,
        model: null,
        firmware: null,
        serial: null,
        hardware: null,
        name: id,
        profiles: [],
        clockOffsetMs: 0,
        lastSeenMs: nowMs,
        reachable: true,
      },
      { trust: "approved" },
    );
    // The segment being recorded, which each event is linked to.
    repos.segments.insert({
      cameraId: id,
      path: join(dir, "rec", `${id}.ts`),
      startMs: nowMs - 5_000,
      endMs: nowMs + 3_600_000,
      bytes: 0,
      sha256: null,
      state: "recording",
    });
  }
  const events = new EventLog(store, bus, logger);
  const replies = new ReplyCommits(events, commitDelayMs);
  const link = new AckingLink();
  const outbox = new Outbox(store, config.uplink, bus);
  const sender = new OutboxSender({ store, session: link, bus, logger });
  const topics = new SiteTopics(SITE);
  const parts = [
    sender,
    new UplinkPublishers({
      store,
      outbox,
      topics,
      bus,
      events,
      recording: true,
      certificate: () => undefined,
      logger,
    }),
    new EventHolds({
      events: config.events,
      storage: config.storage,
      store,
      log: events,
      bus,
      logger,
      disk: () => ({ totalBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30 }),
    }),
    new VideoForwarder({
      store,
      session: link,
      sender,
      bus,
      events,
      topics,
      chunkBytes: config.uplink.chunkBytes,
      bucket: undefined,
      forwardMode: () => "continuous",
      freshMs: 20_000,
      logger,
    }),
  ];
  const running = new AbortController();
  for (const part of parts) await part.start(running.signal);
  const normalisers = cameraIds.map(() => new EventNormaliser());
  let waiter: { count: number; resolve: () => void } | undefined;
  const check = () => {
    if (waiter && link.published.length >= waiter.count) waiter.resolve();
  };
  const publish = link.publish.bind(link);
  link.publish = (topic, payload, options) => {
    const acked = publish(topic, payload, options);
    check();
    return acked;
  };
  return {
    link,
    arrive(index, reply) {
      const receivedMs = Date.now();
      const envelope = parseXml(reply, { ...DEFAULT_XML_LIMITS, lenientPrefixes: true });
      const pulled = readPulled(envelope, 64, "bench");
      const cameraId = cameraIds[index] ?? "";
      const normaliser = normalisers[index];
      replies.add(
        cameraId,
        pulled.notifications.flatMap(
          (notification) => normaliser?.normalise(notification, 0, receivedMs) ?? [],
        ),
      );
    },
    published(count) {
      return new Promise((resolve) => {
        waiter = { count, resolve };
        check();
      });
    },
    async stop() {
      replies.flush();
      running.abort();
      for (const part of parts.reverse()) await part.stop();
      store.close();
    },
  };
}

/** Published exactly once each, in order per camera: what the center relies on. */
function checkPublished(link: AckingLink, expected: number): void {
  const seen = new Set<number>();
  const lastByCamera = new Map<string, number>();
  for (const { payload } of link.published) {
    const { id, cameraId } = JSON.parse(payload.toString()) as { id: number; cameraId: string };
    if (seen.has(id)) throw new Error(`event ${id} published twice`);
    seen.add(id);
    if (id <= (lastByCamera.get(cameraId) ?? 0)) throw new Error(`event ${id} out of order`);
    lastByCamera.set(cameraId, id);
  }
  if (seen.size !== expected)
    throw new Error(`${seen.size} events published, ${expected} expected`);
}

/** Flat out: each reply arrives once the events of the one before it have been published. */
async function flatOut(dir: string): Promise<Figures> {
  const path = await pipeline(dir, 0);
  const replies = Array.from({ length: REPLIES }, (_, n) => nthReply(n, Date.now()));
  const figures = await measure(async () => {
    for (let n = 0; n < REPLIES; n++) {
      path.arrive(n % CAMERAS, replies[n] as Buffer);
      await path.published((n + 1) * BATCH);
    }
    await yieldToLoop();
  });
  checkPublished(path.link, REPLIES * BATCH);
  await path.stop();
  return figures;
}

/** Paced: the replies over all cameras, RATE events per second; latency arrival -> publish. */
async function paced(dir: string): Promise<{ figures: Figures; latencies: number[] }> {
  const path = await pipeline(dir, COMMIT_DELAY_MS);
  const arrived: number[] = [];
  const gapMs = (1000 * BATCH) / RATE;
  const figures = await measure(async () => {
    const began = performance.now();
    for (let n = 0; n < REPLIES; n++) {
      const due = began + n * gapMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      arrived.push(performance.now());
      path.arrive(n % CAMERAS, nthReply(n, Date.now()));
    }
    await path.published(REPLIES * BATCH);
  });
  checkPublished(path.link, REPLIES * BATCH);
  const latencies = path.link.published.map(
    ({ atMs }, n) => atMs - (arrived[Math.floor(n / BATCH)] ?? atMs),
  );
  await path.stop();
  return { figures, latencies };
}

/** The baseline: one durable commit per event into a table like `events`. */
async function baseline(dir: string): Promise<Figures> {
  const db = new BetterSqlite3(join(dir, "baseline.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(
    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts_ms INTEGER, camera_id TEXT, kind TEXT, detail TEXT)",
  );
  const insert = db.prepare(
    "INSERT INTO events (ts_ms, camera_id, kind, detail) VALUES (?, ?, ?, ?)",
  );
  const detail = JSON.stringify({
    phase: "start",
    topic: "tns1:RuleEngine/CellMotionDetector/Motion",
  });
  const reply = db.transaction((n: number) => {
    for (let k = 0; k < BATCH; k++) insert.run(Date.now(), `cam-${n % CAMERAS}`, "motion", detail);
  });
  const figures = await measure(async () => {
    for (let n = 0; n < REPLIES; n++) {
      reply(n);
      await yieldToLoop();
    }
  });
  db.close();
  return figures;
}

const perEventMs = (figures: Figures, what: "seconds" | "cpuSeconds") =>
  (figures[what] * 1000) / (REPLIES * BATCH);

const rows: { base: Figures; flat: Figures; pace: Figures; latencies: number[] }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const dir = await mkdtemp(join(tmpdir(), "camgate-event-path-"));
  try {
    const base = await baseline(join(dir));
    const flat = await flatOut(await mkdtemp(join(dir, "flat-")));
    const { figures: pace, latencies } = await paced(await mkdtemp(join(dir, "paced-")));
    rows.push({ base, flat, pace, latencies });
    console.log(
      `round ${round + 1}: baseline ${perEventMs(base, "seconds").toFixed(2)} ms/event ` +
        `(cpu ${perEventMs(base, "cpuSeconds").toFixed(2)}); path flat out ` +
        `${perEventMs(flat, "seconds").toFixed(2)} ms/event (cpu ${perEventMs(flat, "cpuSeconds").toFixed(2)}); ` +
        `paced ${RATE}/s: cpu ${perEventMs(pace, "cpuSeconds").toFixed(2)} ms/event, latency p50 ` +
        `${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const med = (pick: (row: (typeof rows)[number]) => number) => median(rows.map(pick));
const baseWall = med((row) => perEventMs(row.base, "seconds"));
const baseCpu = med((row) => perEventMs(row.base, "cpuSeconds"));
const flatWall = med((row) => perEventMs(row.flat, "seconds"));
const flatCpu = med((row) => perEventMs(row.flat, "cpuSeconds"));
const paceCpu = med((row) => perEventMs(row.pace, "cpuSeconds"));
console.log(
  `\n${REPLIES * BATCH} events, ${BATCH} per PullMessages reply, ${CAMERAS} cameras, median of ${ROUNDS} rounds`,
);
console.log(
  `one durable commit per reply (baseline): ${baseWall.toFixed(2)} ms wall, ${baseCpu.toFixed(2)} ms cpu per event`,
);
console.log(
  `event path flat out: ${flatWall.toFixed(2)} ms wall (ratio ${(flatWall / baseWall).toFixed(2)}), ` +
    `${flatCpu.toFixed(2)} ms cpu (ratio ${(flatCpu / baseCpu).toFixed(2)}) per event`,
);
console.log(
  `event path at ${RATE} events/s: ${paceCpu.toFixed(2)} ms cpu per event = ` +
    `${((paceCpu * 100) / 10).toFixed(1)} % of a core per 100 events/s; latency p50 ` +
    `${med((row) => percentile(row.latencies, 50)).toFixed(1)} ms, p95 ` +
    `${med((row) => percentile(row.latencies, 95)).toFixed(1)} ms`,
);
