// Segment forwarding throughput: closed segments read from disk and sent as chunks over mutual
// TLS to a local mosquitto by the video forwarder (one chunk in flight, progress committed per
// acknowledged chunk), against a bare mqtt.js loop publishing the same chunks from the same
// files with the same one-in-flight discipline, in the same run.
//
//   npm run bench:forward [-- --segments 40 --mib 2.5 --chunk 256 --rounds 7]
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { UplinkConfig } from "../../src/config/index.js";
import { EventLog } from "../../src/events/index.js";
import { silentLogger } from "../../src/log/index.js";
import { hashFile } from "../../src/recorder/index.js";
import { Store } from "../../src/store/index.js";
import { SiteTopics } from "../../src/protocol/index.js";
import { OutboxSender, VideoForwarder } from "../../src/uplink/index.js";
import { bareClient, benchBroker, benchSession } from "./bench-session.js";
import { type Figures, measure, median } from "./figures.js";
import { Cleanups } from "../../test/helpers/temp.js";

const { values } = parseArgs({
  options: {
    segments: { type: "string", default: "40" },
    mib: { type: "string", default: "2.5" },
    chunk: { type: "string", default: "256" },
    rounds: { type: "string", default: "7" },
  },
});
const SEGMENTS = Number(values.segments);
const SEGMENT_BYTES = Math.round(Number(values.mib) * 2 ** 20);
const CHUNK = Number(values.chunk) * 1024;
const ROUNDS = Number(values.rounds);

interface SegmentFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** The baseline: each file read chunk by chunk and published, one chunk awaiting its PUBACK. */
async function bareLoop(config: UplinkConfig, files: readonly SegmentFile[]): Promise<Figures> {
  const client = await bareClient(config);
  const buffer = Buffer.allocUnsafe(CHUNK);
  const figures = await measure(async () => {
    for (const [index, file] of files.entries()) {
      const handle = await open(file.path, "r");
      for (let offset = 0; offset < file.bytes; offset += CHUNK) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, offset);
        await client.publishAsync(
          `camgate/v1/bench-site/cameras/cam-0/video/${index + 1}`,
          buffer.subarray(0, bytesRead),
          { qos: 1, properties: { userProperties: { chunk: String(offset / CHUNK) } } },
        );
      }
      await handle.close();
    }
  });
  await client.endAsync();
  return figures;
}

/** The agent's path: the segments indexed as closed, the forwarder sends them all. */
async function throughForwarder(
  config: UplinkConfig,
  dir: string,
  name: string,
  files: readonly SegmentFile[],
): Promise<Figures> {
  const store = new Store(join(dir, `${name}.db`), silentLogger());
  const repos = store.open();
  repos.cameras.upsert(
    {
      id: "cam-0",
      urn: "urn:uuid:cam-0",
      mac: null,
      ip: "127.0.0.1",
      xaddrs: [],
      manufacturer: "Bench",
      model: "B-1",
      firmware: "1",
      serial: null,
      hardware: null,
      name: "cam-0",
      profiles: [],
      clockOffsetMs: 0,
      lastSeenMs: Date.now(),
      reachable: true,
    },
    { trust: "approved" },
  );
  const startMs = Date.now() - files.length * 10_000;
  for (const [index, file] of files.entries()) {
    repos.segments.insert({
      cameraId: "cam-0",
      path: file.path,
      startMs: startMs + index * 10_000,
      endMs: startMs + (index + 1) * 10_000,
      bytes: file.bytes,
      sha256: file.sha256,
      state: "closed",
    });
  }
  const { bus, logger, session, connected } = benchSession(config);
  const sender = new OutboxSender({ store, session, bus, logger });
  const forwarder = new VideoForwarder({
    store,
    session,
    sender,
    bus,
    events: new EventLog(store, bus, logger),
    topics: new SiteTopics("bench-site"),
    logger,
    chunkBytes: CHUNK,
    bucket: undefined,
    forwardMode: () => "continuous",
    freshMs: 0,
  });
  const signal = new AbortController().signal;
  await sender.start(signal);
  // Measured from a connected session, as the bare loop is.
  await session.start(signal);
  await connected;
  // The end is heard on the bus: polling status() would spend the forwarder's thread on queries.
  let sent = 0;
  const allSent = new Promise<void>((resolve) => {
    bus.on("segmentForwarded", () => ++sent === files.length && resolve());
  });
  const figures = await measure(async () => {
    await forwarder.start(signal);
    await allSent;
  });
  await session.stop();
  await forwarder.stop();
  await sender.stop();
  store.close();
  return figures;
}

const dir = await mkdtemp(join(tmpdir(), "camgate-bench-forward-"));
const cleanups = new Cleanups();
try {
  const config = await benchBroker(cleanups, dir);
  const files: SegmentFile[] = [];
  await mkdir(join(dir, "video"));
  for (let index = 0; index < SEGMENTS; index++) {
    const path = join(dir, "video", `${index}.ts`);
    await writeFile(path, randomBytes(SEGMENT_BYTES));
    files.push({ path, bytes: SEGMENT_BYTES, sha256: (await hashFile(path)).sha256 });
  }
  const total = SEGMENTS * SEGMENT_BYTES;
  console.log(
    `${SEGMENTS} segments of ${(SEGMENT_BYTES / 2 ** 20).toFixed(1)} MiB in chunks of ` +
      `${CHUNK / 1024} KiB, QoS 1, one chunk in flight, mutual TLS to mosquitto on loopback; ` +
      `${ROUNDS} rounds`,
  );
  const bare: Figures[] = [];
  const forwarded: Figures[] = [];
  // Paired rounds, the order swapped every other round, so drift in the machine's load and
  // whichever goes second in a round weigh on both sides alike.
  for (let round = 0; round < ROUNDS; round++) {
    const forward = () => throughForwarder(config, dir, `forward-${round}`, files);
    if (round % 2 === 0) {
      bare.push(await bareLoop(config, files));
      forwarded.push(await forward());
    } else {
      forwarded.push(await forward());
      bare.push(await bareLoop(config, files));
    }
  }
  const ratios = forwarded.map((f, round) => (bare[round]?.seconds ?? 0) / f.seconds);
  const rate = (figures: Figures[]) => total / 2 ** 20 / median(figures.map((f) => f.seconds));
  const line = (name: string, figures: Figures[]) =>
    `${name.padEnd(22)} ${rate(figures).toFixed(1).padStart(7)} MiB/s   node CPU ` +
    `${median(figures.map((f) => f.cpuSeconds)).toFixed(2)} s   RSS ` +
    `${Math.max(...figures.map((f) => f.rssMiB)).toFixed(1)} MiB`;
  console.log(line("bare mqtt.js loop", bare));
  console.log(line("video forwarder", forwarded));
  const spread = ratios.map((ratio) => ratio.toFixed(2)).join(" ");
  console.log(`ratio ${median(ratios).toFixed(3)}   (per round: ${spread})`);
  console.log(
    "target: ratio >= 0.85 (forwarder's rate over the bare loop's, median of paired rounds; issue 22)",
  );
} finally {
  await cleanups.run();
  await rm(dir, { recursive: true, force: true });
}
