import { join } from "node:path";
import { mkdir, readFile } from "node:fs/promises";
import mqtt from "mqtt";
import { Center, centerConfigSchema } from "../../src/center/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { WireMessage } from "./asyncapi.js";
import { type Identity, TestBroker, TestPki } from "./mosquitto.js";
import { type CleanupScope, defer } from "./temp.js";

export interface UplinkWorld {
  dir: string;
  pki: TestPki;
  broker: TestBroker;
  /** The center's receiver (CN "center"). */
  centerIdentity: Identity;
  /** The center's command sender (CN "center-commands"): its own certificate, its own session. */
  commandsIdentity: Identity;
}

/**
 * A CA, a mutual-TLS mosquitto with the deployment ACL, and the center's identities: the broker
 * keeps one session per certificate, so the receiver and the command sender have one each.
 */
export async function uplinkWorld(t: CleanupScope, dir: string): Promise<UplinkWorld> {
  const pki = await TestPki.create(dir);
  const server = await pki.issue("broker", {
    usage: "server",
    altNames: ["127.0.0.1", "localhost"],
  });
  const brokerDir = join(dir, "broker");
  await mkdir(brokerDir, { recursive: true });
  const broker = await TestBroker.start(t, { dir: brokerDir, ca: pki.ca, server });
  return {
    dir,
    pki,
    broker,
    centerIdentity: await pki.issue("center"),
    commandsIdentity: await pki.issue("center-commands"),
  };
}

/** Config lines of a box's uplink towards the world's broker. */
export function uplinkLines(world: UplinkWorld, identity: Identity, extra = ""): string {
  return (
    `uplink: {brokers: ["${world.broker.url}"], ca: ${world.pki.ca}, cert: ${identity.cert}, ` +
    `key: ${identity.key}, healthSeconds: 5, reconnectDelayMax: 2s${extra}}`
  );
}

/** The reference center, in process, keeping what it receives under `dir`. */
export async function startCenter(
  t: CleanupScope,
  world: UplinkWorld,
  dir: string,
  options: { group?: string | null } = {},
): Promise<Center> {
  const center = new Center({
    config: centerConfigSchema.parse({
      brokers: [world.broker.url],
      ca: world.pki.ca,
      cert: world.centerIdentity.cert,
      key: world.centerIdentity.key,
      dir,
      ...options,
    }),
    logger: silentLogger(),
  });
  await center.start(new AbortController().signal);
  defer(t, () => center.stop());
  await center.subscribed;
  return center;
}

/**
 * Every message published under `filter` from now on, as a center sees it: subscribed at QoS 1
 * with retain-as-published (so the retain flag is the publisher's), with the center's identity.
 */
export async function recordWire(
  t: CleanupScope,
  world: UplinkWorld,
  filter = "camgate/v1/+/#",
): Promise<WireMessage[]> {
  // A certificate of its own: the broker makes the CN the client id, one certificate one
  // session, so sharing the center's would knock the center off (the ACL lets center-2 read).
  const identity = await world.pki.issue("center-2");
  const client = await mqtt.connectAsync(world.broker.url, {
    protocolVersion: 5,
    clientId: "center-2",
    ca: await readFile(world.pki.ca, "utf8"),
    cert: await readFile(identity.cert, "utf8"),
    key: await readFile(identity.key, "utf8"),
  });
  defer(t, () => client.endAsync(true));
  const messages: WireMessage[] = [];
  client.on("message", (topic, payload, packet) =>
    messages.push({
      topic,
      qos: packet.qos,
      retain: packet.retain,
      contentType: packet.properties?.contentType,
      messageExpiryInterval: packet.properties?.messageExpiryInterval,
      userProperties: packet.properties?.userProperties ?? {},
      payload,
    }),
  );
  await client.subscribeAsync(filter, { qos: 1, rap: true });
  return messages;
}
