import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "../../src/agent.js";
import { parseConfigText } from "../../src/config/index.js";
import { freePort, MosquittoBroker } from "../../src/demo/index.js";
import { silentLogger } from "../../src/log/index.js";
import {
  type Authority,
  createAuthority,
  generatePrivateKeyPem,
  issueCertificate,
} from "../../src/pki/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { writeFileAtomic } from "../../src/util/files.js";
import forge from "node-forge";

export const CENTER_SITE = "site-cw";
const HOST = "127.0.0.1";

export interface Identity {
  cert: string;
  key: string;
}

export interface CenterWorldOptions {
  dir: string;
  /** dist/src/main.js: each center worker is `camgate center`, a process of its own. */
  mainJs: string;
  cameras: number;
  /** uplink.chunkBytes, e.g. "16KiB": small chunks put each segment in several messages. */
  chunkBytes: string;
}

/**
 * A commune center's side under test, all real: mosquitto with the reference configuration
 * (mutual TLS, CN as username and client id, the deployment ACL, persistence), a box (the agent,
 * in this process, forwarding video to the broker), and center workers as `camgate center`
 * processes that can be killed. The box's segments are files of random bytes indexed as the
 * recorder indexes its own (no ffmpeg, so the center is what the CPU does).
 */
export class CenterWorld {
  readonly centerDir: string;
  readonly #workers = new Set<CenterWorker>();

  private constructor(
    readonly options: CenterWorldOptions,
    readonly broker: MosquittoBroker,
    readonly agent: Agent,
    readonly store: Store,
    readonly cameraIds: string[],
    private readonly ca: string,
    private readonly authority: Authority,
  ) {
    this.centerDir = join(options.dir, "center");
  }

  static async create(options: CenterWorldOptions): Promise<CenterWorld> {
    const { dir } = options;
    const pkiDir = join(dir, "pki");
    await mkdir(pkiDir, { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "broker"), { recursive: true });
    await mkdir(join(dir, "video"), { recursive: true });
    const authority = createAuthority("camgate center-world CA");
    const ca = join(pkiDir, "ca.pem");
    await writeFileAtomic(ca, authority.certPem);
    const issue = (name: string, usage: "client" | "server" = "client") =>
      issueIdentity(authority, pkiDir, name, usage);
    const server = await issue("broker", "server");
    const broker = new MosquittoBroker({
      dir: join(dir, "broker"),
      host: HOST,
      port: await freePort(HOST),
      ca,
      ...server,
    });
    await broker.start(new AbortController().signal);
    const box = await issue(CENTER_SITE);
    const text = [
      `site: {id: ${CENTER_SITE}}`,
      `store: {path: ${join(dir, "box.db")}}`,
      `secrets: {keyFile: ${join(dir, "seal.key")}}`,
      `storage: {dir: ${join(dir, "video")}, maxBytes: 64GiB, minFreeBytes: 0}`,
      "discovery: {enabled: false}",
      "audit: {enabled: false}",
      "recorder: {enabled: false}",
      `uplink: {brokers: ["${broker.url}"], ca: ${ca}, cert: ${box.cert}, key: ${box.key}, ` +
        `healthSeconds: 30, reconnectDelayMax: 2s, chunkBytes: ${options.chunkBytes}}`,
    ].join("\n");
    const config = parseConfigText(text, join(dir, "box.yaml"), {});
    const agent = Agent.fromConfig(config, silentLogger());
    try {
      await agent.start(new AbortController().signal);
    } catch (error) {
      await broker.stop();
      throw error;
    }
    const store = agent.components.find((c) => c.name === "store") as Store;
    const cameraIds = Array.from({ length: options.cameras }, (_, i) => `cam-${i}`);
    for (const [i, id] of cameraIds.entries()) approveCamera(store, id, `127.0.90.${10 + i}`);
    return new CenterWorld(options, broker, agent, store, cameraIds, ca, authority);
  }

  /** A client certificate for a center identity, e.g. "center-2". */
  identity(name: string): Promise<Identity> {
    return issueIdentity(this.authority, join(this.options.dir, "pki"), name, "client");
  }

  /** Writes the config of a center worker and starts it; resolves once it has subscribed. */
  async startWorker(options: {
    clientId: string;
    identity: Identity;
    group: string | null;
  }): Promise<CenterWorker> {
    const file = join(this.options.dir, `${options.clientId}.yaml`);
    await writeFile(
      file,
      [
        `brokers: ["${this.broker.url}"]`,
        `ca: ${this.ca}`,
        `cert: ${options.identity.cert}`,
        `key: ${options.identity.key}`,
        `dir: ${this.centerDir}`,
        `clientId: ${options.clientId}`,
        `group: ${options.group ?? "null"}`,
        "",
      ].join("\n"),
    );
    const worker = new CenterWorker(this.options.mainJs, file);
    this.#workers.add(worker);
    await worker.start();
    return worker;
  }

  /** A segment of random bytes on the box, indexed and announced as the recorder does. */
  async addSegment(cameraId: string, bytes: number): Promise<SegmentRecord> {
    const data = randomBytes(bytes);
    const endMs = Date.now();
    const path = join(this.options.dir, "video", `${cameraId}-${endMs}-${randomInt(1e9)}.ts`);
    await writeFile(path, data);
    const segment = this.store.repos.segments.insert({
      cameraId,
      path,
      startMs: endMs - 1000,
      endMs,
      bytes,
      sha256: createHash("sha256").update(data).digest("hex"),
      state: "closed",
    });
    this.agent.bus.emit("segmentClosed", { segment });
    return segment;
  }

  /** Every segment the box indexed, and whether it has gone to the broker. */
  boxSegments(): SegmentRecord[] {
    return this.cameraIds.flatMap((id) =>
      this.store.repos.segments.overlapping(id, 0, Number.MAX_SAFE_INTEGER),
    );
  }

  /** Stops everything it started, each part whatever the others did. */
  async stop(): Promise<void> {
    try {
      for (const worker of this.#workers) await worker.kill();
      await this.agent.stop();
    } finally {
      await this.broker.stop();
    }
  }
}

/** One `camgate center` process; stdout and stderr kept. */
export class CenterWorker {
  #child: ChildProcess | undefined;
  stdout = "";
  stderr = "";
  starts = 0;

  constructor(
    private readonly mainJs: string,
    private readonly configFile: string,
  ) {}

  /** Starts the process; resolves once it logs that the broker granted its subscriptions. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.mainJs, "center", "--config", this.configFile], {
      env: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith("CAMGATE_")),
      ),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    this.starts++;
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (text: string) => (this.stdout += text));
    const subscribed = new Promise<void>((resolve, reject) => {
      child.stderr?.setEncoding("utf8").on("data", (text: string) => {
        this.stderr += text;
        stderr += text;
        if (stderr.includes('"msg":"center subscribed"')) resolve();
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`center worker exited (${code ?? signal}) before subscribing: ${stderr}`)),
      );
    });
    await subscribed;
  }

  /** kill -9: no clean stop, nothing flushed, no acknowledgement sent. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await once(child, "exit");
  }

  /** SIGTERM, as systemd stops it; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return null;
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    return code;
  }
}

async function issueIdentity(
  authority: Authority,
  dir: string,
  commonName: string,
  usage: "client" | "server",
): Promise<Identity> {
  const keyPem = generatePrivateKeyPem(2048);
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certPem = issueCertificate(authority, {
    commonName,
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    usage,
    ...(usage === "server" ? { altNames: [HOST, "localhost"] } : {}),
  });
  const identity = { cert: join(dir, `${commonName}.pem`), key: join(dir, `${commonName}.key`) };
  await writeFileAtomic(identity.cert, certPem);
  await writeFileAtomic(identity.key, keyPem, 0o600);
  return identity;
}

function approveCamera(store: Store, id: string, ip: string): void {
  store.repos.cameras.upsert(
    {
      id,
      urn: `urn:uuid:${id}`,
      mac: null,
      ip,
      xaddrs: [],
      manufacturer: "Test",
      model: "T-1",
      firmware: "1",
      serial: null,
      hardware: null,
      name: id,
      profiles: [{ token: "main", width: 320, height: 240, streamUri: `rtsp://${ip}/main` }],
      clockOffsetMs: 0,
      lastSeenMs: Date.now(),
      reachable: true,
    },
    { trust: "approved" },
  );
}
