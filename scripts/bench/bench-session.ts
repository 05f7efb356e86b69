import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText, type UplinkConfig } from "../../src/config/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { type Logger, silentLogger } from "../../src/log/index.js";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { UplinkSession } from "../../src/uplink/index.js";
import { TestBroker, TestPki } from "../../test/helpers/mosquitto.js";
import type { Cleanups } from "../../test/helpers/temp.js";

/**
 * mosquitto with mutual TLS on loopback, under `dir`, and the box's uplink config for it;
 * `extra` adds keys to the uplink section.
 */
export async function benchBroker(
  cleanups: Cleanups,
  dir: string,
  extra = "",
): Promise<UplinkConfig> {
  const pki = await TestPki.create(dir);
  const server = await pki.issue("broker", { usage: "server", altNames: ["127.0.0.1"] });
  await mkdir(join(dir, "broker"));
  const broker = await TestBroker.start(cleanups, { dir: join(dir, "broker"), ca: pki.ca, server });
  const box = await pki.issue("bench-site");
  return parseConfigText(
    `site: {id: bench-site}\nuplink: {brokers: ["${broker.url}"], ca: ${pki.ca}, ` +
      `cert: ${box.cert}, key: ${box.key}${extra ? `, ${extra}` : ""}}`,
    "bench.yaml",
    {},
  ).uplink;
}

/** The baselines' client: bare mqtt.js with the box's certificate, no reconnects. */
export async function bareClient(config: UplinkConfig): Promise<MqttClient> {
  const url = config.brokers[0] ?? "";
  return mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: "bench-bare",
    reconnectPeriod: 0,
    ...tlsOptions(new URL(url), await readTlsMaterial(config)),
  });
}

/** The box's MQTT session as the benches use it, with a promise of its first connection. */
export function benchSession(config: UplinkConfig): {
  bus: EventBus<AgentEvents>;
  logger: Logger;
  session: UplinkSession;
  connected: Promise<void>;
} {
  const bus = new EventBus<AgentEvents>(() => undefined);
  const logger = silentLogger();
  const will = {
    topic: "camgate/v1/bench-site/status",
    payload: "{}",
    options: { qos: 1 as const },
  };
  const session = new UplinkSession({
    config,
    clientId: "camgate-bench-site",
    will: () => will,
    birth: () => will,
    maxIncomingBytes: 64 * 1024,
    bus,
    logger,
  });
  const connected = new Promise<void>((resolve) => {
    const off = bus.on("uplinkState", ({ connected: up }) => up && (off(), resolve()));
  });
  return { bus, logger, session, connected };
}
