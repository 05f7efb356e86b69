import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import mqtt from "mqtt";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { readTlsMaterial, tlsOptions } from "../../src/pki/index.js";
import { UplinkSession } from "../../src/uplink/index.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { defer, tempDir } from "../helpers/temp.js";
import { uplinkWorld } from "../helpers/uplink.js";
import {
  type LinkWorld,
  nextState,
  type SeenMessage,
  uplinkLinkContract,
} from "../helpers/uplink-link-contract.js";

/**
 * The real session against Debian's mosquitto with the deployment's mutual TLS and ACL, through
 * a loopback relay that can hold acknowledgements or cut the connection. The center side is a
 * plain mqtt.js client with the center's certificate.
 */
async function mosquittoWorld(t: TestContext): Promise<LinkWorld> {
  const dir = await tempDir(t);
  const world = await uplinkWorld(t, dir);
  const box = await world.pki.issue("site-a");
  const proxy = await TcpProxy.start(t, { host: world.broker.host, port: world.broker.port });
  const config = parseConfigText(
    [
      "site: {id: site-a}",
      `store: {path: ${join(dir, "box.db")}}`,
      `secrets: {keyFile: ${join(dir, "seal.key")}}`,
      `storage: {dir: ${join(dir, "recordings")}}`,
      `uplink: {brokers: ["mqtts://127.0.0.1:${proxy.port}"], ca: ${world.pki.ca}, ` +
        `cert: ${box.cert}, key: ${box.key}, reconnectDelayMax: 1s}`,
    ].join("\n"),
    "test.yaml",
    {},
  );
  const bus = new EventBus<AgentEvents>(() => undefined);
  const status = { topic: "camgate/v1/site-a/status", payload: "{}", options: { qos: 1 as const } };
  const link = new UplinkSession({
    config: config.uplink,
    clientId: "camgate-site-a",
    will: () => status,
    birth: () => status,
    maxIncomingBytes: 64 * 1024,
    bus,
    logger: silentLogger(),
  });

  const centerUrl = new URL(world.broker.url);
  const material = await readTlsMaterial({ ca: world.pki.ca, ...world.centerIdentity });
  const center = await mqtt.connectAsync(world.broker.url, {
    protocolVersion: 5,
    clientId: `center-${process.pid}-${Date.now()}`,
    reconnectPeriod: 200,
    ...tlsOptions(centerUrl, material),
  });
  defer(t, () => center.endAsync(true));
  const seen: { topic: string; message: SeenMessage }[] = [];
  const waiters = new Set<() => void>();
  center.on("message", (topic, payload, packet) => {
    const user = packet.properties?.userProperties ?? {};
    seen.push({
      topic,
      message: {
        payload,
        contentType: packet.properties?.contentType,
        userProperties: Object.fromEntries(
          Object.entries(user).filter(
            (entry): entry is [string, string] => typeof entry[1] === "string",
          ),
        ),
      },
    });
    for (const wake of [...waiters]) wake();
  });
  await center.subscribeAsync("camgate/v1/#", { qos: 1 });

  const up = nextState(bus, true);
  await link.start(new AbortController().signal);
  defer(t, () => link.stop());
  await up;

  return {
    link,
    bus,
    own: (suffix) => `camgate/v1/site-a/${suffix}`,
    forbidden: "camgate/v1/site-b/status",
    received: async (topic) => {
      for (;;) {
        const index = seen.findIndex((entry) => entry.topic === topic);
        if (index >= 0)
          return (seen.splice(0, index + 1).at(-1) as { message: SeenMessage }).message;
        await new Promise<void>((resolve) => {
          const wake = () => (waiters.delete(wake), resolve());
          waiters.add(wake);
        });
      }
    },
    send: async (topic, payload, extra = {}) => {
      await center.publishAsync(topic, payload, {
        qos: 1,
        properties: {
          ...(extra.responseTopic ? { responseTopic: extra.responseTopic } : {}),
          ...(extra.correlationData ? { correlationData: extra.correlationData } : {}),
          ...(extra.userProperties ? { userProperties: extra.userProperties } : {}),
        },
      });
    },
    hold: () => proxy.hold(),
    cut: async ({ sessionLost }) => {
      if (!sessionLost) {
        proxy.cut();
        return;
      }
      // A broker that restarts without its persistence file has forgotten every session.
      await world.broker.stop();
      await rm(join(world.broker.dir, "mosquitto.db"), { force: true });
      await world.broker.resume();
    },
  };
}

uplinkLinkContract("UplinkSession on mosquitto", mosquittoWorld);
