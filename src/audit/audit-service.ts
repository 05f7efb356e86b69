import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import type { VaultHandle } from "../discovery/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store } from "../store/index.js";
import { CamgateError } from "../errors.js";
import { AuditRunner } from "./audit-runner.js";
import { settingsFromConfig } from "./auditor.js";
import type { AuditReport } from "./types.js";
import { loadAuditData } from "./vendor-data.js";

export interface AuditServiceDeps {
  config: Config["audit"];
  vault: VaultHandle;
  signingKeyFile: string | undefined;
  store: Store;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  /** Whether a technician set recorder.cameras.<id>.allowBasicAuth (noted in the report). */
  basicAuthAllowed?: (cameraId: string) => boolean;
}

type RunNowResult = { camera: string; summary: AuditReport["summary"]; signed: boolean }[];

/** An audit.run refused because the same one ended less than `audit.commandCooldown` ago. */
export class AuditRateLimitedError extends CamgateError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

const EVERY_CAMERA = "*";

/** Audits every enabled camera of the inventory on a schedule inside the agent. */
export class AuditService implements Component {
  readonly name = "audit";
  #timer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  #round: Promise<unknown> | undefined;
  #runner: AuditRunner | undefined;
  /** Per camera id (or "*" for all): the audit.run in progress, or when the last one ended. */
  readonly #commands = new Map<string, { running: Promise<RunNowResult> } | { endedMs: number }>();

  constructor(private readonly deps: AuditServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { config, store, bus, logger } = this.deps;
    this.#runner = new AuditRunner({
      repos: store.repos,
      vault: this.deps.vault.vault,
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

  /**
   * Audits one camera, or every enabled one, now (a command from the center). A request while
   * the same one runs gets its result; one within `audit.commandCooldown` after it ended is
   * refused (AuditRateLimitedError), so the center cannot keep a camera under audit.
   */
  runNow(cameraId?: string): Promise<RunNowResult> {
    const key = cameraId ?? EVERY_CAMERA;
    const last = this.#commands.get(key);
    if (last && "running" in last) return last.running;
    const cooldown = this.deps.config.commandCooldown;
    const since = last ? Date.now() - last.endedMs : Number.POSITIVE_INFINITY;
    if (since < cooldown) {
      const what = cameraId === undefined ? "every camera" : `camera ${cameraId}`;
      const retryAfterMs = cooldown - since;
      return Promise.reject(
        new AuditRateLimitedError(
          `an audit of ${what} ended ${Math.round(since / 1000)} s ago; the center may ask for one every ${Math.round(cooldown / 1000)} s (audit.commandCooldown), since each audit spends failed logins against the camera's lockout; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
          retryAfterMs,
        ),
      );
    }
    const running = this.#audit(cameraId).then(
      (result) => {
        this.#commands.set(key, { endedMs: Date.now() });
        return result;
      },
      (error: unknown) => {
        this.#commands.delete(key);
        throw error;
      },
    );
    this.#commands.set(key, { running });
    return running;
  }

  async #audit(cameraId: string | undefined): Promise<RunNowResult> {
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
