import { existsSync } from "node:fs";
import type { AgentEvents } from "../agent-events.js";
import type { CredentialVault } from "../discovery/index.js";
import { eachLimited, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { readPrivateKey } from "../pki/certificates.js";
import type { CameraRecord, Repositories } from "../store/index.js";
import { auditCamera } from "./auditor.js";
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

/** Audits cameras, signs and stores each report, and tells the bus. */
export class AuditRunner {
  #signingKey: Promise<string | undefined> | undefined;

  constructor(private readonly deps: AuditRunnerDeps) {}

  targetFor(camera: CameraRecord): AuditTarget | undefined {
    const xaddr = camera.xaddrs[0];
    if (!xaddr || !camera.ip) return undefined;
    return {
      host: camera.ip,
      xaddr,
      cameraId: camera.id,
      credentials: this.deps.vault?.forCamera(camera.id),
      allowBasicAuth: this.deps.basicAuthAllowed?.(camera.id) === true,
    };
  }

  /** Audits one camera; returns the stored report and the one before it (for --since-last). */
  async run(
    target: AuditTarget,
    signal?: AbortSignal,
  ): Promise<{ report: AuditReport; previous?: AuditReport }> {
    const { repos, data, settings, bus, logger } = this.deps;
    const key = target.cameraId ?? adHocCameraKey(target.host);
    const previous = repos.auditReports.latest(key, 1)[0]?.report as AuditReport | undefined;
    let report = await auditCamera(target, settings, data, { signal });
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
  ): Promise<{ report: AuditReport; previous?: AuditReport }[]> {
    const results: { report: AuditReport; previous?: AuditReport }[] = [];
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
