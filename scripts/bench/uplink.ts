// Outbox throughput: segment-index messages written to the SQLite outbox and sent over mutual
// TLS to a local mosquitto, each deleted on its PUBACK, against a bare mqtt.js loop publishing
// the same payloads with the same window of unacknowledged messages, in the same run.
//
//   npm run bench:uplink [-- --messages 20000 --rounds 3 --batch 1]
//
// Two ways through the outbox: "backlog", the messages queued while the link was down and
// drained when it returns (when throughput matters); "live", a producer committing --batch
// messages per transaction while the sender drains (1: one fsync per message, as one segment
// close does).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { UplinkConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { Store } from "../../src/store/index.js";
import { Outbox, OutboxSender, type OutgoingMessage } from "../../src/uplink/index.js";
import { bareClient, benchBroker, benchSession } from "./bench-session.js";
import { type Figures, measure, median } from "./figures.js";
import { Cleanups } from "../../test/helpers/temp.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    batch: { type: "string", default: "1" },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
/** The outbox sender's window (src/uplink/outbox-sender.ts), used by the bare loop too. */
const WINDOW = 128;

function segmentMessage(index: number): OutgoingMessage {
  const startMs = Date.UTC(2026, 10, 23) + index * 10_000;
  return {
    topic: `camgate/v1/bench-site/cameras/cam-${index % 8}/segments`,
    family: "segments",
    body: {
      segmentId: index + 1,
      cameraId: `cam-${index % 8}`,
      start: new Date(startMs).toISOString(),
      end: new Date(startMs + 10_000).toISOString(),
      startMs,
      endMs: startMs + 10_000,
      bytes: 2_500_000 + index,
      sha256: index.toString(16).padStart(64, "0"),
    },
  };
}

/** The baseline: the same payloads, published by mqtt.js with at most WINDOW unacknowledged. */
async function bareLoop(config: UplinkConfig, payloads: readonly Buffer[]): Promise<Figures> {
  const client = await bareClient(config);
  const figures = await measure(async () => {
    let next = 0;
    const worker = async () => {
      while (next < payloads.length) {
        const index = next++;
        const message = segmentMessage(index);
        await client.publishAsync(message.topic, payloads[index] ?? "", {
          qos: 1,
          properties: {
            contentType: "application/json",
            userProperties: { "msg-id": `b-${index}` },
          },
        });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
  });
  await client.endAsync();
  return figures;
}

/** The agent's path: commit to the outbox, the sender publishes, each PUBACK deletes the row. */
async function throughOutbox(
  config: UplinkConfig,
  dir: string,
  name: string,
  mode: "backlog" | "live",
): Promise<Figures> {
  const store = new Store(join(dir, `${name}.db`), silentLogger());
  store.open();
  const { bus, logger, session, connected } = benchSession(config);
  const sender = new OutboxSender({ store, session, bus, logger });
  const outbox = new Outbox(store, config, bus);
  const produce = async () => {
    for (let index = 0; index < MESSAGES; index += BATCH) {
      const count = Math.min(BATCH, MESSAGES - index);
      outbox.put(Array.from({ length: count }, (_, offset) => segmentMessage(index + offset)));
      await yieldToLoop();
    }
  };
  if (mode === "backlog") await produce();
  const signal = new AbortController().signal;
  await sender.start(signal);
  await session.start(signal);
  await connected;
  const figures = await measure(async () => {
    const drained = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (store.repos.outbox.stats().count > 0) return;
        clearInterval(timer);
        resolve();
      }, 20);
    });
    if (mode === "live") await produce();
    await drained;
  });
  await session.stop();
  await sender.stop();
  store.close();
  return figures;
}

const dir = await mkdtemp(join(tmpdir(), "camgate-bench-uplink-"));
const cleanups = new Cleanups();
try {
  const config = await benchBroker(cleanups, dir, `outbox: {maxMessages: ${MESSAGES * 2}}`);
  const payloads = Array.from({ length: MESSAGES }, (_, index) =>
    Buffer.from(JSON.stringify({ schema: "camgate.segment/1", ...segmentMessage(index).body })),
  );
  console.log(
    `${MESSAGES} segment-index messages of ~${payloads[0]?.length ?? 0} bytes, QoS 1, mutual TLS ` +
      `to mosquitto on loopback; window ${WINDOW}; ${BATCH} per outbox commit; ${ROUNDS} rounds`,
  );
  const bare: Figures[] = [];
  const backlog: Figures[] = [];
  const live: Figures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareLoop(config, payloads));
    backlog.push(await throughOutbox(config, dir, `backlog-${round}`, "backlog"));
    live.push(await throughOutbox(config, dir, `live-${round}`, "live"));
  }
  const rate = (figures: Figures[]) => MESSAGES / median(figures.map((f) => f.seconds));
  const line = (name: string, figures: Figures[]) =>
    `${name.padEnd(26)} ${rate(figures).toFixed(0).padStart(7)} msg/s   node CPU ` +
    `${median(figures.map((f) => f.cpuSeconds)).toFixed(2)} s   RSS ` +
    `${Math.max(...figures.map((f) => f.rssMiB)).toFixed(1)} MiB`;
  const ratio = (figures: Figures[]) => `ratio ${(rate(figures) / rate(bare)).toFixed(3)}`;
  console.log(line("bare mqtt.js loop", bare));
  console.log(`${line("outbox, backlog drained", backlog)}   ${ratio(backlog)}`);
  console.log(`${line(`outbox, live, ${BATCH}/commit`, live)}   ${ratio(live)}`);
  console.log("target: ratio >= 0.8 (medians of the rounds)");
} finally {
  await cleanups.run();
  await rm(dir, { recursive: true, force: true });
}
