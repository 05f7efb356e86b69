import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import { CredentialVault } from "../discovery/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { SecretSealer } from "../pki/index.js";
import type { Store } from "../store/index.js";
import { CamgateError } from "../errors.js";
import { AuditRunner } from "./audit-runner.js";
import { settingsFromConfig } from "./auditor.js";
import type { AuditReport } from "./types.js";
import { loadAuditData } from "./vendor-data.js";

export interface AuditServiceDeps {
  config: Config["audit"];
  keyFile: string;
  signingKeyFile: string | undefined;
  store: Store;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  /** Whether a technician set recorder.cameras.<id>.allowBasicAuth (noted in the report). */
  basicAuthAllowed?: (cameraId: string) => boolean;
}

/** Audits every enabled camera of the inventory on a schedule inside the agent. */
export class AuditService implements Component {
  readonly name = "audit";
  #timer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  #round: Promise<unknown> | undefined;
  #runner: AuditRunner | undefined;

  constructor(private readonly deps: AuditServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { config, store, bus, logger } = this.deps;
    const sealer = await SecretSealer.open(this.deps.keyFile);
    this.#runner = new AuditRunner({
      repos: store.repos,
      vault: new CredentialVault(store.repos, sealer),
      data: loadAuditData(),
      settings: settingsFromConfig(config),
      concurrency: config.concurrency,
      signingKeyFile: this.deps.signingKeyFile,
      bus,
      logger,
      basicAuthAllowed: this.deps.basicAuthAllowed,
    });
    this.#abort = new AbortController();
    // The first round waits (a minute by default), so that discovery has filled the inventory.
    this.#schedule(Math.min(config.startDelay, config.interval));
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#round?.catch(() => undefined);
  }

  /** Audits one camera, or every enabled one, now (a command from the center). */
  async runNow(
    cameraId?: string,
  ): Promise<{ camera: string; summary: AuditReport["summary"]; signed: boolean }[]> {
    const runner = this.#runner;
    if (!runner) throw new CamgateError("the audit service is not running");
    const signal = this.#abort.signal;
    let reports: AuditReport[];
    if (cameraId === undefined) {
      reports = await runner.runAll(signal);
    } else {
      const camera = this.deps.store.repos.cameras.get(cameraId);
      const target = camera && runner.targetFor(camera);
      if (!target) throw new CamgateError(`camera ${cameraId} has no address to audit`);
      reports = [(await runner.run(target, signal)).report];
    }
    return reports.map((report) => ({
      camera: report.camera.id ?? report.camera.address,
      summary: report.summary,
      signed: report.signature !== undefined,
    }));
  }

  #schedule(delayMs: number): void {
    const runner = this.#runner;
    if (this.#abort.signal.aborted || !runner) return;
    this.#timer = setTimeout(() => {
      this.#round = runner
        .runAll(this.#abort.signal)
        .catch((error: unknown) => this.deps.logger.error({ err: error }, "audit round failed"))
        .finally(() => {
          this.#round = undefined;
          this.#schedule(this.deps.config.interval);
        });
    }, delayMs);
  }
}
