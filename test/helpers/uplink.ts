import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { Center, centerConfigSchema } from "../../src/center/index.js";
import { silentLogger } from "../../src/log/index.js";
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
