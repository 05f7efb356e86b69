import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";

export class BrokerStartError extends CamgateError {}

/** The center's identities the reference ACL knows (each its own certificate CN). */
const CENTER_IDENTITIES = {
  /** Receivers (`camgate center`), one per worker: a worker's CN is its session. */
  receivers: ["center", "center-2", "center-3"],
  /** The command sender: writes commands, reads the replies. */
  commands: "center-commands",
} as const;

/**
 * The ACL of a real deployment. Each box (its certificate's CN is its username and, with
 * use_username_as_clientid, its client id) writes only under its own site root and reads only its
 * commands. The center's receivers read every box's tree (shared subscriptions are checked
 * against the topic after `$share/<group>/`); its command sender writes commands and reads
 * replies. The first receiver may also send commands, as a single-process center does. Every
 * receiver may answer a box's certificate request (`cert/issued`), which the box alone reads.
 */
export const DEPLOYMENT_ACL = [
  `user ${CENTER_IDENTITIES.receivers[0]}`,
  "topic read camgate/v1/#",
  "topic write camgate/v1/+/cmd/#",
  "topic write camgate/v1/+/cert/issued",
  "",
  ...CENTER_IDENTITIES.receivers
    .slice(1)
    .flatMap((user) => [
      `user ${user}`,
      "topic read camgate/v1/#",
      "topic write camgate/v1/+/cert/issued",
      "",
    ]),
  `user ${CENTER_IDENTITIES.commands}`,
  "topic write camgate/v1/+/cmd/#",
  "topic read camgate/v1/+/reply/#",
  "",
  // The release server: reads the boxes' range requests, answers on their cmd/update branch.
  "user center-updates",
  "topic read camgate/v1/+/update/request",
  "topic write camgate/v1/+/cmd/update/#",
  "",
  "pattern write camgate/v1/%u/#",
  "pattern read camgate/v1/%u/cmd/#",
  "pattern read camgate/v1/%u/cert/issued",
  "",
].join("\n");

export interface MosquittoOptions {
  /** Holds mosquitto.conf, the ACL, the persistence file and the log. */
  dir: string;
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
  /** Run as this user when started as root (mosquitto drops to "mosquitto" otherwise). */
  user?: string;
}

/**
 * One mutual-TLS listener: client certificates required, their CN the username and the client
 * id (a certificate can hold one session only: its own, so one box cannot take over another's),
 * the ACL, and queues deep enough to hold what the boxes send while a center worker is away
 * (mosquitto drops what does not fit, after the box was told it was delivered).
 */
export function mosquittoConfig(options: MosquittoOptions): string {
  return [
    "per_listener_settings false",
    "allow_anonymous false",
    `user ${options.user ?? "root"}`,
    "persistence true",
    `persistence_location ${options.dir}/`,
    "autosave_interval 1",
    "max_queued_messages 100000",
    `log_dest file ${join(options.dir, "mosquitto.log")}`,
    "log_type all",
    "connection_messages true",
    `acl_file ${join(options.dir, "acl")}`,
    `listener ${options.port} ${options.host}`,
    `cafile ${options.ca}`,
    `certfile ${options.cert}`,
    `keyfile ${options.key}`,
    "require_certificate true",
    "use_identity_as_username true",
    "use_username_as_clientid true",
    "tls_version tlsv1.2",
    "",
  ].join("\n");
}

export async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

/**
 * Debian's mosquitto as a supervised child, for `camgate demo`. camgate's interface is MQTT 5
 * (chunk headers are user properties, commands use response topics and correlation data), which
 * the in-process JavaScript brokers do not speak; mosquitto does, and is what centers run.
 */
export class MosquittoBroker implements Component {
  readonly name = "broker";
  #child: ChildProcess | undefined;

  constructor(
    private readonly options: MosquittoOptions,
    private readonly binary = "mosquitto",
  ) {}

  get url(): string {
    return `mqtts://${this.options.host}:${this.options.port}`;
  }

  async start(signal: AbortSignal): Promise<void> {
    const { dir, port } = this.options;
    await writeFile(join(dir, "acl"), DEPLOYMENT_ACL);
    await writeFile(join(dir, "mosquitto.conf"), mosquittoConfig(this.options));
    const logFile = join(dir, "mosquitto.log");
    const before = (await readFile(logFile, "utf8").catch(() => "")).length;
    const child = spawn(this.binary, ["-c", join(dir, "mosquitto.conf")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.#child = child;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const spawnError = once(child, "spawn").then(
      () => undefined,
      (error: unknown) => error,
    );
    const failure = await spawnError;
    if (failure !== undefined) {
      this.#child = undefined;
      throw new BrokerStartError(
        `cannot run ${this.binary} (install the mosquitto package, or pass --broker)`,
        { cause: failure },
      );
    }
    for (let waited = 0; ; waited += 50) {
      signal.throwIfAborted();
      if (child.exitCode !== null)
        throw new BrokerStartError(`mosquitto exited at start: ${stderr.trim()}`);
      const log = (await readFile(logFile, "utf8").catch(() => "")).slice(before);
      if (log.includes(`listen socket on port ${port}`)) return;
      if (waited > 20_000) throw new BrokerStartError("mosquitto did not listen within 20 s");
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}
