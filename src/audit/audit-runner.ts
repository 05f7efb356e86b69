import { existsSync } from "node:fs";
import type { AgentEvents } from "../agent-events.js";
import type { CredentialVault } from "../discovery/index.js";
import { eachLimited, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { readPrivateKey } from "../pki/certificates.js";
import type { CameraRecord, Repositories } from "../store/index.js";
import { auditCamera } from "./auditor.js";
import { LoginBudgets } from "./login-budget.js";
import type { AuditSettings, AuditTarget } from "./context.js";
import { signReport } from "./report/summary.js";
import type { AuditReport } from "./types.js";
import type { AuditData } from "./vendor-data.js";

export interface AuditRunnerDeps {
  repos: Pick<Repositories, "auditReports" | "cameras">;
  vault?: CredentialVault | undefined;
  data: AuditData;
  settings: AuditSettings;
  /** Cameras audited at the same time. */
  concurrency: number;
  /** The box's private key (uplink.key); reports are signed when it exists. */
  signingKeyFile?: string | undefined;
  bus?: EventBus<AgentEvents> | undefined;
  logger: Logger;
  /** Whether a technician set recorder.cameras.<id>.allowBasicAuth (noted in the report). */
  basicAuthAllowed?: ((cameraId: string) => boolean) | undefined;
}

/** Key under which an address outside the inventory keeps its report history. */
export function adHocCameraKey(host: string): string {
  return `address:${host}`;
}

export interface AuditRun {
  report: AuditReport;
  previous?: AuditReport;
}

/**
 * Audits cameras, signs and stores each report, and tells the bus. Audits of one camera never
 * overlap (a second request joins the one running), and every audit of a camera spends the same
 * failed-login budget, so no number of callers can lock the camera's account.
 */
export class AuditRunner {
  #signingKey: Promise<string | undefined> | undefined;
  readonly #running = new Map<string, Promise<AuditRun>>();
  readonly #budgets: LoginBudgets;

  constructor(private readonly deps: AuditRunnerDeps) {
    this.#budgets = new LoginBudgets(deps.settings.lockout);
  }

  /** How to audit a camera: over ONVIF, or (added by its RTSP URL) without it. */
  targetFor(camera: CameraRecord): AuditTarget | undefined {
    const xaddr = camera.xaddrs[0];
    const streamUris = camera.profiles.flatMap((profile) => {
      const uri = (profile as { streamUri?: unknown }).streamUri;
      return typeof uri === "string" ? [uri] : [];
    });
    if (!camera.ip || (!xaddr && streamUris.length === 0)) return undefined;
    return {
      host: camera.ip,
      xaddr,
      ...(xaddr ? {} : { streamUris }),
      cameraId: camera.id,
      credentials: this.deps.vault?.forCamera(camera),
      allowBasicAuth: this.deps.basicAuthAllowed?.(camera.id) === true,
    };
  }

  /**
   * Audits one camera; returns the stored report and the one before it (for --since-last).
   * While an audit of the same camera runs, the caller gets that audit's result (and it stops
   * with the first caller's signal).
   */
  run(target: AuditTarget, signal?: AbortSignal): Promise<AuditRun> {
    const key = target.cameraId ?? adHocCameraKey(target.host);
    const running = this.#running.get(key);
    if (running) return running;
    const work = this.#audit(key, target, signal).finally(() => this.#running.delete(key));
    this.#running.set(key, work);
    return work;
  }

  async #audit(key: string, target: AuditTarget, signal?: AbortSignal): Promise<AuditRun> {
    const { repos, data, settings, bus, logger } = this.deps;
    const previous = repos.auditReports.latest(key, 1)[0]?.report as AuditReport | undefined;
    let report = await auditCamera(target, settings, data, {
      signal,
      budget: this.#budgets.forCamera(key),
    });
    const keyPem = await this.#key();
    if (keyPem) report = signReport(report, keyPem);
    repos.auditReports.insert({
      cameraId: key,
      baseline: report.baseline,
      startedMs: Date.parse(report.startedAt),
      finishedMs: Date.parse(report.finishedAt),
      summary: report.summary,
      report,
      signature: report.signature?.value ?? null,
    });
    // As text: the redaction censors any field named "pass", and a count is no password.
    const summary = Object.entries(report.summary)
      .map(([state, count]) => `${count} ${state}`)
      .join(", ");
    logger.info({ cameraId: key, summary }, "audit completed");
    bus?.emit("auditCompleted", {
      cameraId: key,
      summary: report.summary,
      signed: report.signature !== undefined,
    });
    return previous ? { report, previous } : { report };
  }

  /** Audits the targets, at most `concurrency` at a time; results in completion order. */
  async runEach(
    targets: readonly AuditTarget[],
    options: { signal?: AbortSignal; onDone?: (done: number) => void } = {},
  ): Promise<AuditRun[]> {
    const results: AuditRun[] = [];
    await eachLimited(targets, this.deps.concurrency, async (target) => {
      if (options.signal?.aborted) return;
      results.push(await this.run(target, options.signal));
      options.onDone?.(results.length);
    });
    return results;
  }

  /** Every enabled camera of the inventory that has an address. */
  enabledTargets(): AuditTarget[] {
    const targets: AuditTarget[] = [];
    for (const camera of this.deps.repos.cameras.list({ enabledOnly: true })) {
      const target = this.targetFor(camera);
      if (target) targets.push(target);
      else this.deps.logger.warn({ cameraId: camera.id }, "camera has no address; not audited");
    }
    return targets;
  }

  async runAll(signal?: AbortSignal): Promise<AuditReport[]> {
    const results = await this.runEach(this.enabledTargets(), signal ? { signal } : {});
    return results.map((result) => result.report);
  }

  #key(): Promise<string | undefined> {
    const file = this.deps.signingKeyFile;
    this.#signingKey ??=
      file && existsSync(file) ? readPrivateKey(file) : Promise.resolve(undefined);
    return this.#signingKey;
  }
}
