import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { SecretSealer } from "../pki/index.js";
import type { Store } from "../store/index.js";
import { CredentialVault } from "./credentials.js";
import { Inventory } from "./inventory.js";
import { surveyDevice } from "./survey.js";
import { discover } from "./ws-discovery.js";

export interface DiscoveryServiceDeps {
  config: Config["discovery"];
  callTimeoutMs: number;
  keyFile: string;
  store: Store;
  bus: EventBus<AgentEvents>;
  logger: Logger;
}

export interface DiscoveryRound {
  found: number;
  interrogated: number;
  failed: number;
  offline: number;
}

/**
 * Discovery on a schedule inside the agent: each round probes, interrogates what answered
 * (with the camera's own or the site's default credentials), updates the inventory and tells
 * the rest of the agent what appeared, changed or went away.
 */
export class DiscoveryService implements Component {
  readonly name = "discovery";
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<DiscoveryRound> | undefined;
  #abort = new AbortController();
  #vault: CredentialVault | undefined;

  constructor(private readonly deps: DiscoveryServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const sealer = await SecretSealer.open(this.deps.keyFile);
    this.#vault = new CredentialVault(this.deps.store.repos, sealer);
    this.#abort = new AbortController();
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#round?.catch(() => undefined);
  }

  /** One round now (or the one already running). */
  runOnce(): Promise<DiscoveryRound> {
    this.#round ??= this.#run().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  #schedule(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.runOnce()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, "discovery round failed"))
        .finally(() => this.#schedule(this.deps.config.intervalSeconds * 1000));
    }, delayMs);
  }

  async #run(): Promise<DiscoveryRound> {
    const { config, store, bus, logger } = this.deps;
    const vault = this.#vault;
    if (!vault) throw new Error("discovery is not started");
    const signal = this.#abort.signal;
    const { devices, warnings } = await discover({
      interfaces: config.interfaces,
      multicast: config.multicast,
      cidrs: config.cidrs,
      timeoutMs: config.probeTimeout,
      concurrency: config.concurrency,
      signal,
    });
    for (const warning of warnings) logger.warn(warning);
    const repos = store.repos;
    const inventory = new Inventory(repos);
    const seen = new Set<string>();
    const round: DiscoveryRound = { found: devices.length, interrogated: 0, failed: 0, offline: 0 };
    for (const device of devices) {
      if (signal.aborted) break;
      if (!device.xaddr) {
        logger.warn({ urn: device.urn, errors: device.errors }, "device refused");
        continue;
      }
      const { camera, change, report, error } = await surveyDevice(device, device.xaddr, {
        repos,
        inventory,
        vault,
        callTimeoutMs: this.deps.callTimeoutMs,
        signal,
      });
      seen.add(camera.id);
      const log = logger.child({ cameraId: camera.id, address: camera.ip });
      if (error) {
        round.failed++;
        log.warn({ err: error }, "interrogation failed");
      } else {
        round.interrogated++;
        for (const warning of report?.warnings ?? [])
          log.debug({ warning }, "interrogation warning");
      }
      const address = camera.ip ?? "";
      if (change === "new") bus.emit("cameraDiscovered", { cameraId: camera.id, address });
      if (change === "changed") bus.emit("cameraChanged", { cameraId: camera.id, address });
    }
    if (!signal.aborted) {
      for (const camera of repos.cameras.list()) {
        if (seen.has(camera.id) || !inventory.markUnreachable(camera.id)) continue;
        round.offline++;
        bus.emit("cameraOffline", { cameraId: camera.id });
      }
    }
    logger.info(round, "discovery round");
    return round;
  }
}
