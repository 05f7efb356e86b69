import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { Agent } from "../agent.js";
import { type AuditReport, renderHtml } from "../audit/index.js";
import { Center, centerConfigSchema } from "../center/index.js";
import { type Config, parseConfigText } from "../config/index.js";
import { ComponentGroup, type Component, type StopReport } from "../lifecycle/index.js";
import { createLogger, type Logger } from "../log/index.js";
import { createDevPki, type DevPkiFiles } from "../pki/index.js";
import {
  type ProfileName,
  type SimCameraInfo,
  Simulator,
  UNPRIVILEGED_PORTS,
} from "../sim/index.js";
import { Store } from "../store/index.js";
import { DemoView } from "./demo-view.js";
import { enrolCameras } from "./enrol.js";
import { freePort, MosquittoBroker } from "./mosquitto-broker.js";

export const DEMO_SITE = "demo-site";

export interface DemoOptions {
  dir: string;
  cameras: number;
  profile: ProfileName;
  ffmpeg: string;
  /** First simulated camera; the discovery sweep covers its /26. */
  baseIp: string;
  /** An existing broker, with the PKI of `camgate pki dev-ca --out <pki>` it trusts. */
  broker?: { url: string; pki: string } | undefined;
  /** Where the live view draws; none without. */
  out?: (Writable & { isTTY?: boolean }) | undefined;
  logger: Logger;
}

/** Where the demo keeps everything, for the closing summary. */
export interface DemoLayout {
  dir: string;
  boxConfig: string;
  boxLog: string;
  recordings: string;
  center: string;
  auditReport: string;
}

export function demoLayout(dir: string): DemoLayout {
  return {
    dir,
    boxConfig: join(dir, "box", "camgate.yaml"),
    boxLog: join(dir, "box", "camgate.log"),
    recordings: join(dir, "box", "recordings"),
    center: join(dir, "center"),
    auditReport: join(dir, "audit-report.html"),
  };
}

function sweepOf(baseIp: string): string {
  const [a, b, c, d = "0"] = baseIp.split(".");
  return `${a}.${b}.${c}.${Number(d) & 0xc0}/26`;
}

function boxConfigText(layout: DemoLayout, options: DemoOptions, tls: TlsFiles, url: string) {
  const box = join(layout.dir, "box");
  return [
    "# Written by camgate demo: a box on simulated cameras. Try: camgate status --config <this file>",
    `site: {id: ${DEMO_SITE}, name: camgate demo}`,
    `store: {path: ${join(box, "camgate.db")}}`,
    `secrets: {keyFile: ${join(box, "seal.key")}}`,
    `storage: {dir: ${layout.recordings}, segmentSeconds: 4, maxBytes: 2GiB, minFreeBytes: 256MiB}`,
    `discovery: {multicast: false, cidrs: [${sweepOf(options.baseIp)}], intervalSeconds: 60, probeTimeout: 1s}`,
    "audit: {interval: 15m, startDelay: 5s, credentialTrySpacing: 200ms, concurrency: 2}",
    // The simulated microphones (G.711) are recorded, as AAC.
    "recorder: {audio: transcode}",
    `uplink: {brokers: ["${url}"], ca: ${tls.ca}, cert: ${tls.clientCert}, key: ${tls.clientKey}, healthSeconds: 10}`,
    "log: {level: info, format: json}",
    "",
  ].join("\n");
}

type TlsFiles = Pick<DevPkiFiles, "ca" | "clientCert" | "clientKey" | "centerCert" | "centerKey">;

/** A component from a start and a stop, for the parts that are not components themselves. */
function part(name: string, start: () => Promise<void>, stop: () => Promise<unknown>): Component {
  return { name, start: () => start(), stop: async () => void (await stop()) };
}

/**
 * `camgate demo`: the whole pipeline on one machine. Simulated cameras, a broker with mutual TLS
 * (mosquitto, unless one is given), the agent discovering, auditing, recording and forwarding,
 * and the reference center receiving; everything under one directory that outlives the run.
 */
export class Demo {
  readonly layout: DemoLayout;
  readonly simulator: Simulator;
  #group: ComponentGroup | undefined;
  #center: Center | undefined;
  #config: Config | undefined;
  #brokerUrl = "";
  /** When start() began: the view counts from here. */
  startedAt = Date.now();
  #log: WriteStream | undefined;

  constructor(private readonly options: DemoOptions) {
    this.layout = demoLayout(options.dir);
    this.simulator = new Simulator({
      cameras: options.cameras,
      baseIp: options.baseIp,
      profile: options.profile,
      // H.265, H.264 with G.711 audio and H.264 in turn: what a site's cameras stream.
      media: "mixed",
      ffmpeg: options.ffmpeg,
      ports: UNPRIVILEGED_PORTS,
      multicast: false,
    });
  }

  get center(): Center | undefined {
    return this.#center;
  }

  get brokerUrl(): string {
    return this.#brokerUrl;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.startedAt = Date.now();
    const { options, layout } = this;
    await mkdir(join(layout.dir, "box"), { recursive: true, mode: 0o700 });
    await mkdir(layout.center, { recursive: true });
    const parts: Component[] = [
      part(
        "simulator",
        () => this.simulator.start(),
        () => this.simulator.stop(),
      ),
    ];
    let tls: TlsFiles;
    if (options.broker) {
      const pki = options.broker.pki;
      tls = {
        ca: join(pki, "ca.pem"),
        clientCert: join(pki, `${DEMO_SITE}.pem`),
        clientKey: join(pki, `${DEMO_SITE}.key`),
        centerCert: join(pki, "center.pem"),
        centerKey: join(pki, "center.key"),
      };
      this.#brokerUrl = options.broker.url;
    } else {
      const files = await createDevPki(join(layout.dir, "pki"), DEMO_SITE, [
        "localhost",
        "127.0.0.1",
      ]);
      tls = files;
      const brokerDir = join(layout.dir, "broker");
      await mkdir(brokerDir, { recursive: true });
      const broker = new MosquittoBroker({
        dir: brokerDir,
        host: "127.0.0.1",
        port: await freePort("127.0.0.1"),
        ca: files.ca,
        cert: files.brokerCert,
        key: files.brokerKey,
      });
      this.#brokerUrl = broker.url;
      parts.push(broker);
    }
    const text = boxConfigText(layout, options, tls, this.#brokerUrl);
    const config = parseConfigText(text, layout.boxConfig, {});
    await writeFile(layout.boxConfig, text, { mode: 0o600 });
    this.#config = config;
    this.#log = createWriteStream(layout.boxLog, { flags: "a", mode: 0o600 });
    const boxLogger = createLogger({ level: "info", format: "json", destination: this.#log });
    const center = new Center({
      config: centerConfigSchema.parse({
        brokers: [this.#brokerUrl],
        ca: tls.ca,
        cert: tls.centerCert,
        key: tls.centerKey,
        dir: layout.center,
        clientId: "camgate-demo-center",
      }),
      logger: boxLogger.child({ component: "center" }),
    });
    this.#center = center;
    const agent = Agent.fromConfig(config, boxLogger.child({ site: DEMO_SITE }));
    parts.push(
      part(
        "credentials",
        async () => void (await enrolCameras(config, this.simulator.describe(), options.logger)),
        () => Promise.resolve(),
      ),
      part(
        "center",
        () => center.start(signal),
        () => center.stop(),
      ),
      part(
        "agent",
        () => agent.start(signal),
        async () => {
          const report = await agent.stop();
          if (report.failures.length > 0) throw new AggregateError(report.failures, "agent stop");
        },
      ),
    );
    if (options.out) parts.push(new DemoView(this, config, options.out, options.logger));
    this.#group = new ComponentGroup(parts, options.logger);
    await this.#group.start(signal);
  }

  async stop(): Promise<StopReport> {
    const report = (await this.#group?.stop(60_000)) ?? { stopped: [], failures: [] };
    if (this.#config)
      await this.#writeAuditReport(this.#config).catch((error: unknown) =>
        report.failures.push(error as Error),
      );
    await new Promise<void>((resolve) => (this.#log ? this.#log.end(resolve) : resolve()));
    return report;
  }

  async #writeAuditReport(config: Config): Promise<void> {
    const store = new Store(config.store.path, this.options.logger.child({ component: "store" }));
    try {
      const repos = store.open();
      const reports = repos.cameras
        .list()
        .flatMap((camera) => repos.auditReports.latest(camera.id))
        .map((record) => record.report as AuditReport);
      if (reports.length > 0)
        await writeFile(
          this.layout.auditReport,
          renderHtml(reports, {
            lang: config.site.locale,
            timeZone: config.site.timezone,
            site: config.site,
            box: hostname(),
          }),
        );
    } finally {
      store.close();
    }
  }

  /** The simulated camera at an address: its name and profile, for the view. */
  simulated(ip: string | null): SimCameraInfo | undefined {
    return this.simulator.describe().find((camera) => camera.address === ip);
  }
}
