import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Center, centerConfigSchema } from "../../src/center/index.js";
import { type Config, parseConfigText } from "../../src/config/index.js";
import { enrolCameras, freePort, MosquittoBroker } from "../../src/demo/index.js";
import { silentLogger } from "../../src/log/index.js";
import { createDevPki, type DevPkiFiles } from "../../src/pki/index.js";
import { Simulator, type SimulatorOptions } from "../../src/sim/index.js";
import { AgentProcess } from "./agent-process.js";
import { CenterWorker } from "./center-world.js";
import { FaultyLink } from "./tcp-proxy.js";
import { unitLaunch } from "./unit-launch.js";

const run = promisify(execFile);
export const SOAK_SITE = "soak-site";
const HOST = "127.0.0.1";
const MiB = 1024 * 1024;

export interface WorldOptions {
  dir: string;
  cameras: number;
  baseIp: string;
  mainJs: string;
  segmentSeconds: number;
  /** Per-camera changes to the simulated cameras (their event service, their clock). */
  override?: SimulatorOptions["override"];
  /** False: no audits (a benchmark measuring something else). */
  audit?: boolean;
  /** Options for the agent's node (e.g. --cpu-prof), after those of camgate.service. */
  nodeArgs?: readonly string[];
  /**
   * The center as `camgate center`, a process of its own, as a commune runs it: a benchmark
   * timing the box cannot share an event loop between the center and the simulated cameras.
   */
  centerProcess?: boolean;
}

/** What the storage settings are, and whether the video has a filesystem of its own to fill. */
export interface StorageSetup {
  /** The filesystem's mount point (or the folder holding `dir`). */
  mount: string;
  /** storage.dir, one level below, so nothing else written there looks like recordings. */
  dir: string;
  maxBytes: number;
  minFreeBytes: number;
  /** A tmpfs the soak mounted: the disk-fill fault needs a filesystem it may fill. */
  ownFilesystem: boolean;
}

export interface SoakWorldParts {
  sim: Simulator;
  /** The center in this process; undefined when it runs as a process of its own. */
  center: Center | undefined;
  centerDir: string;
  broker: MosquittoBroker;
  link: FaultyLink;
  agent: AgentProcess;
  config: Config;
  configFile: string;
  /** The agent's camera ids, in the simulator's order. */
  cameraIds: string[];
  pki: DevPkiFiles;
  storage: StorageSetup;
}

/**
 * Everything a soak runs against, all real: simulated cameras, mosquitto with mutual TLS and the
 * deployment ACL behind a faulty link, the reference center, and `camgate run` as a separate
 * process (so it can be killed), with a quota small enough that the ring buffer turns over.
 */
export class SoakWorld {
  private constructor(readonly parts: SoakWorldParts) {}

  /**
   * Sets everything up and starts it. Each part is handed to `started` as it starts, so that a
   * failure half-way leaves nothing running once the caller stops what it was given.
   */
  static async create(options: WorldOptions, started: (stop: () => Promise<unknown>) => void) {
    const { dir } = options;
    const boxDir = join(dir, "box");
    await mkdir(boxDir, { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "center"), { recursive: true });
    await mkdir(join(dir, "broker"), { recursive: true });
    const pki = await createDevPki(join(dir, "pki"), SOAK_SITE, ["localhost", HOST]);
    const storage = await prepareStorage(join(dir, "video"));
    if (storage.ownFilesystem) started(() => run("umount", ["-l", storage.mount]));

    const broker = new MosquittoBroker({
      dir: join(dir, "broker"),
      host: HOST,
      port: await freePort(HOST),
      ca: pki.ca,
      cert: pki.brokerCert,
      key: pki.brokerKey,
    });
    await broker.start(new AbortController().signal);
    started(() => broker.stop());
    const brokerPort = Number(new URL(broker.url).port);
    const link = new FaultyLink(HOST, { host: HOST, port: brokerPort });
    await link.start();
    started(() => link.stop());

    const center = options.centerProcess
      ? await startCenterProcess(dir, options.mainJs, broker, pki, started)
      : await startCenter(dir, broker, pki, started);

    const sim = new Simulator({
      baseIp: options.baseIp,
      cameras: options.cameras,
      profile: "hardened",
      ffmpeg: "ffmpeg",
      multicast: false,
      video: { kbps: 250 },
      override: options.override,
    });
    await sim.start();
    started(() => sim.stop());

    const configFile = join(boxDir, "camgate.yaml");
    const text = [
      `site: {id: ${SOAK_SITE}, name: camgate soak}`,
      `store: {path: ${join(boxDir, "camgate.db")}}`,
      `secrets: {keyFile: ${join(boxDir, "seal.key")}}`,
      `storage: {dir: ${storage.dir}, segmentSeconds: ${options.segmentSeconds}, ` +
        `maxBytes: ${storage.maxBytes}, minFreeBytes: ${storage.minFreeBytes}}`,
      "discovery: {enabled: false}",
      // Audits run too: they handle camera credentials, which the secret scan then looks for.
      options.audit === false
        ? "audit: {enabled: false}"
        : "audit: {interval: 10m, startDelay: 20s, credentialTrySpacing: 200ms, concurrency: 2}",
      `uplink: {brokers: ["${link.url}"], ca: ${pki.ca}, cert: ${pki.clientCert}, ` +
        `key: ${pki.clientKey}, healthSeconds: 10, reconnectDelayMax: 3s, chunkBytes: 64KiB}`,
      "log: {level: info, format: json}",
      "",
    ].join("\n");
    await writeFile(configFile, text, { mode: 0o600 });
    const config = parseConfigText(text, configFile, {});
    const cameraIds = await enrolCameras(config, sim.describe(), silentLogger());

    // The agent runs as camgate.service starts it on the box: its memory depends on the flags.
    const unit = await unitLaunch();
    const agent = new AgentProcess({
      mainJs: options.mainJs,
      config: configFile,
      logFile: join(boxDir, "camgate.log"),
      clockFile: join(boxDir, "clock"),
      restartDelayMs: 5_000, // the unit's RestartSec
      nodeArgs: [...unit.nodeArgs, ...(options.nodeArgs ?? [])],
      env: unit.env,
    });
    started(() => agent.destroy());
    await agent.start();
    const centerDir = join(dir, "center");
    return new SoakWorld({
      ...{ sim, center, centerDir, broker, link, agent, config, configFile, cameraIds, pki },
      storage,
    });
  }

  /** The camera a simulated address belongs to. */
  cameraAt(ip: string): string | undefined {
    const index = this.parts.sim.describe().findIndex((camera) => camera.address === ip);
    return this.parts.cameraIds[index];
  }
}

const centerConfig = (dir: string, broker: MosquittoBroker, pki: DevPkiFiles) => ({
  brokers: [broker.url],
  ca: pki.ca,
  cert: pki.centerCert,
  key: pki.centerKey,
  dir: join(dir, "center"),
  clientId: "camgate-soak-center",
  // mosquitto 2.0 does not restore shared subscriptions from persistence.
  group: null,
});

async function startCenter(
  dir: string,
  broker: MosquittoBroker,
  pki: DevPkiFiles,
  started: (stop: () => Promise<unknown>) => void,
): Promise<Center> {
  const center = new Center({
    config: centerConfigSchema.parse(centerConfig(dir, broker, pki)),
    logger: silentLogger(),
  });
  await center.start(new AbortController().signal);
  started(() => center.stop());
  await center.subscribed;
  return center;
}

async function startCenterProcess(
  dir: string,
  mainJs: string,
  broker: MosquittoBroker,
  pki: DevPkiFiles,
  started: (stop: () => Promise<unknown>) => void,
): Promise<undefined> {
  const file = join(dir, "center.yaml");
  // JSON is YAML: the center reads it as its config file.
  await writeFile(file, JSON.stringify(centerConfig(dir, broker, pki)));
  const worker = new CenterWorker(mainJs, file);
  started(() => worker.terminate());
  await worker.start();
  return undefined;
}

/**
 * A 96 MiB tmpfs (a 24 MiB quota in it, 16 MiB reserve) for the video when this process may mount one (root), so the disk can really
 * fill; otherwise a folder on the work disk and no disk-fill fault.
 */
async function prepareStorage(mount: string): Promise<StorageSetup> {
  await mkdir(mount, { recursive: true, mode: 0o750 });
  const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=96m,mode=0750", "tmpfs", mount])
    .then(() => true)
    .catch(() => false);
  const dir = join(mount, "rec");
  await mkdir(dir, { mode: 0o750 });
  return mounted
    ? { mount, dir, maxBytes: 24 * MiB, minFreeBytes: 16 * MiB, ownFilesystem: true }
    : { mount, dir, maxBytes: 24 * MiB, minFreeBytes: 0, ownFilesystem: false };
}
