import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { DevPkiFiles } from "../../src/pki/index.js";

const TAP = fileURLToPath(new URL("../../../scripts/bench/broker-tap.py", import.meta.url));
/** Debian's python3, which has python3-paho-mqtt (not whatever python3 is first on PATH). */
const PYTHON = "/usr/bin/python3";
/** A center receiver the deployment ACL lets read every box's tree (src/demo/mosquitto-broker.ts). */
const TAP_IDENTITY = "center-2";
const DETECTORS = new Set(["motion", "tamper", "intrusion"]);

/** A detector event as the broker handed it to the tap. */
export interface TappedEvent {
  id: number;
  arrivedMs: number;
}

const exec = promisify(execFile);

/** A client certificate for the tap, made and signed by the openssl CLI with the site's CA. */
async function tapIdentity(dir: string, pki: DevPkiFiles): Promise<{ cert: string; key: string }> {
  const key = join(dir, "tap.key");
  const csr = join(dir, "tap.csr");
  const cert = join(dir, "tap.pem");
  await exec("openssl", [
    ...["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key],
    ...["-subj", `/CN=${TAP_IDENTITY}`, "-out", csr],
  ]);
  await exec("openssl", [
    ...["x509", "-req", "-in", csr, "-CA", pki.ca, "-CAkey", pki.caKey],
    ...["-set_serial", String(Date.now()), "-days", "2", "-out", cert],
  ]);
  return { cert, key };
}

/**
 * A subscriber in a process of its own (scripts/bench/broker-tap.py) that stamps each camera
 * event as the broker delivers it: the box's latency, apart from the reference center's.
 */
export class BrokerTap {
  readonly #events = new Map<string, TappedEvent[]>();

  private constructor(readonly child: ChildProcess) {}

  static async start(dir: string, pki: DevPkiFiles, brokerUrl: string): Promise<BrokerTap> {
    const identity = await tapIdentity(dir, pki);
    const url = new URL(brokerUrl);
    const topic = "camgate/v1/+/cameras/+/events";
    const child = spawn(
      PYTHON,
      [TAP, url.hostname, url.port, pki.ca, identity.cert, identity.key, topic],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const tap = new BrokerTap(child);
    createInterface({ input: child.stdout }).on("line", (line) => tap.#take(line));
    let errors = "";
    const subscribed = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stderr }).on("line", (line) => {
        if (line === "subscribed") resolve();
        else errors += `${line}\n`;
      });
      child.once("exit", (code) => reject(new Error(`the broker tap exited (${code}): ${errors}`)));
    });
    await subscribed;
    return tap;
  }

  #take(line: string): void {
    const space = line.indexOf(" ");
    const payload = JSON.parse(line.slice(space + 1)) as {
      id: number;
      cameraId: string | null;
      kind: string;
    };
    if (payload.cameraId === null || !DETECTORS.has(payload.kind)) return;
    const list = this.#events.get(payload.cameraId) ?? [];
    list.push({ id: payload.id, arrivedMs: Number(line.slice(0, space)) * 1000 });
    this.#events.set(payload.cameraId, list);
  }

  /** A camera's detector events in the order the box stored them, each once (QoS 1 may repeat). */
  eventsOf(cameraId: string): TappedEvent[] {
    const seen = new Map<number, TappedEvent>();
    for (const event of this.#events.get(cameraId) ?? [])
      if (!seen.has(event.id)) seen.set(event.id, event);
    return [...seen.values()].sort((a, b) => a.id - b.id);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill();
    await once(this.child, "exit");
  }
}
