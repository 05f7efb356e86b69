import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventLog } from "../events/index.js";
import type { Component } from "../lifecycle/index.js";
import {
  linkTarget,
  readUpdateState,
  releaseDir,
  restoreFile,
  type UpdateResult,
  type UpdateState,
  writeUpdateState,
} from "../lifecycle/update-state.js";
import type { Logger } from "../log/index.js";
import { type SignedManifest, signedManifestSchema } from "../protocol/index.js";
import { writeFileAtomic } from "../util/files.js";
import { ConfigError, parseConfigText } from "../config/index.js";
import { rollBack } from "./start-guard.js";
import { type DownloadDeps, downloadRelease } from "./downloader.js";
import { UpdateRefusedError, UpdateSetupError } from "./errors.js";
import {
  checkOffer,
  checkRollbackTarget,
  installRelease,
  type ReleaseLayout,
  switchRelease,
} from "./release.js";

const EVENT_OF = {
  installed: "update_installed",
  rolled_back: "update_rolled_back",
  refused: "update_refused",
  failed: "update_failed",
} as const;
const CONFIG_EVENT_OF = {
  ...EVENT_OF,
  installed: "config_applied",
  rolled_back: "config_rolled_back",
} as const;

/** How often a release on trial is checked for health. */
const HEALTH_CHECK_EVERY_MS = 1000;

export interface UpdaterDeps {
  layout: ReleaseLayout;
  /** The update key's public half (PEM file). */
  publicKeyFile: string;
  /** The version of the release running now. */
  running: string;
  download: DownloadDeps;
  /** Uplink up and every recorder running: what a new release must show to be kept. */
  healthy: () => boolean;
  /** The config file the agent runs with (config.apply replaces it); undefined: none. */
  configFile?: string | undefined;
  /** config.apply is taken only when commands must be signed (uplink.commandSigningKey). */
  commandsSigned?: boolean;
  site?: string;
  env?: NodeJS.ProcessEnv;
  /** Stops the agent so that its supervisor (systemd) starts it again, on the new release. */
  restart: (reason: string) => void;
  events: Pick<EventLog, "record">;
  logger: Logger;
  now?: () => number;
}

export type OfferAccepted = {
  accepted: true;
  version: string;
  size: number;
};

/**
 * Signed updates over the uplink (`update.offer`): checks the offer, downloads the release in
 * the background (resuming after a restart: the offer is kept beside the partial file), checks
 * it against the manifest, installs it beside the running one and switches; after the restart
 * the new release is on trial until it reports healthy, and switches back by itself when it
 * does not in time (the start guard covers a release that cannot start at all). Every outcome
 * is an event: update_refused, update_failed, update_installed, update_rolled_back.
 */
export class Updater implements Component {
  readonly name = "updater";
  #publicKey = "";
  #abort = new AbortController();
  #job: Promise<void> | undefined;
  #jobVersion: string | undefined;
  #trial: Promise<void> | undefined;
  /** This release is on trial: it is not the one to come back to yet. */
  #onTrial = false;

  constructor(private readonly deps: UpdaterDeps) {}

  get #downloadDir(): string {
    return join(this.deps.layout.releasesDir, ".download");
  }

  async start(signal: AbortSignal): Promise<void> {
    const file = this.deps.publicKeyFile;
    this.#publicKey = await readFile(file, "utf8").catch((error: unknown) => {
      throw new UpdateSetupError(`cannot read update.publicKey ${file}`, { cause: error });
    });
    signal.throwIfAborted();
    this.#abort = new AbortController();
    const state = await readUpdateState(this.deps.layout.stateFile);
    await this.#takeOver(state);
    const kept = await this.#keptOffer();
    if (kept) this.#begin(kept);
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error("stopping"));
    await Promise.allSettled([this.#job, this.#trial]);
  }

  /** `update.offer`: checked at once (throws UpdateRefusedError), fetched in the background. */
  async offer(signed: SignedManifest): Promise<OfferAccepted> {
    const { manifest } = signed;
    try {
      checkOffer(signed, this.#publicKey, this.deps.running);
      await checkRollbackTarget(this.deps.layout, this.deps.running);
      if (this.#onTrial)
        throw new UpdateRefusedError("busy", `${this.deps.running} is still on trial`);
      if (this.#jobVersion !== undefined && this.#jobVersion !== manifest.version)
        throw new UpdateRefusedError("busy", `${this.#jobVersion} is being installed`);
    } catch (error) {
      if (error instanceof UpdateRefusedError) this.#refused(manifest.version, error);
      throw error;
    }
    if (this.#jobVersion === undefined) {
      await writeFileAtomic(join(this.#downloadDir, "offer.json"), JSON.stringify(signed), 0o600);
      this.#begin(signed);
    }
    return { accepted: true, version: manifest.version, size: manifest.size };
  }

  /**
   * `config.apply`: a new config file, validated with the config schema, written in place of
   * the running one (kept as `<file>.previous`), then a restart; the agent is on trial with it as
   * with a new release, and the previous file comes back when it does not report healthy.
   */
  async applyConfig(yaml: string): Promise<{ accepted: true; restart: true }> {
    const file = this.deps.configFile;
    if (file === undefined)
      throw new UpdateRefusedError("bad_config", "this agent runs without a config file");
    if (!this.deps.commandsSigned)
      throw new UpdateRefusedError(
        "unsigned",
        "config.apply is taken only with uplink.commandSigningKey (commands signed by the center)",
      );
    if (this.#onTrial || this.#jobVersion !== undefined)
      throw new UpdateRefusedError("busy", "an update or a config is being tried");
    let next;
    try {
      next = parseConfigText(yaml, file, this.deps.env ?? {});
    } catch (error) {
      if (error instanceof ConfigError)
        throw new UpdateRefusedError("bad_config", error.message, { cause: error });
      throw error;
    }
    if (next.site.id !== this.deps.site)
      throw new UpdateRefusedError("bad_config", `site.id must stay ${String(this.deps.site)}`);
    await checkRollbackTarget(this.deps.layout, this.deps.running);
    const previous = `${file}.previous`;
    await restoreFile(file, previous);
    await writeFileAtomic(file, yaml, 0o640);
    const { layout, running } = this.deps;
    const state = await readUpdateState(layout.stateFile);
    await writeUpdateState(layout.stateFile, {
      ...state,
      pending: {
        phase: "switching",
        from: running,
        to: running,
        releasesDir: layout.releasesDir,
        currentLink: layout.currentLink,
        starts: 0,
        maxStarts: layout.maxStarts,
        healthTimeoutMs: layout.healthTimeoutMs,
        deadlineMs: null,
        source: "uplink",
        config: { file, previous },
      },
    });
    this.deps.logger.info({ file }, "new config written; restarting on it");
    setImmediate(() => this.deps.restart("config.apply"));
    return { accepted: true, restart: true };
  }

  #begin(signed: SignedManifest): void {
    const { version } = signed.manifest;
    this.#jobVersion = version;
    this.#job = this.#fetchAndSwitch(signed)
      .catch((error: unknown) => {
        if (this.#abort.signal.aborted) return;
        if (error instanceof UpdateRefusedError) this.#refused(version, error);
        else {
          this.deps.logger.error({ err: error, version }, "update failed");
          this.deps.events.record("update_failed", null, {
            version,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
        return this.#forgetOffer();
      })
      .finally(() => {
        this.#jobVersion = undefined;
      });
  }

  async #fetchAndSwitch(signed: SignedManifest): Promise<void> {
    const { manifest } = signed;
    const part = join(this.#downloadDir, `${manifest.version}.part`);
    const signal = this.#abort.signal;
    this.deps.logger.info({ version: manifest.version }, "downloading an update");
    await downloadRelease(this.deps.download, manifest, part, signal);
    signal.throwIfAborted();
    await installRelease(part, signed, this.deps.layout);
    await switchRelease(this.deps.layout, this.deps.running, manifest.version, "uplink");
    await this.#forgetOffer();
    this.deps.logger.info({ version: manifest.version }, "update installed; restarting on it");
    this.deps.restart(`update to ${manifest.version}`);
  }

  async #keptOffer(): Promise<SignedManifest | undefined> {
    const text = await readFile(join(this.#downloadDir, "offer.json"), "utf8").catch(
      () => undefined,
    );
    if (text === undefined) return undefined;
    const parsed = signedManifestSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      try {
        checkOffer(parsed.data, this.#publicKey, this.deps.running);
        return parsed.data;
      } catch {
        // Installed meanwhile, or a key change: the kept offer no longer stands.
      }
    }
    await this.#forgetOffer();
    return undefined;
  }

  async #forgetOffer(): Promise<void> {
    await rm(this.#downloadDir, { recursive: true, force: true });
  }

  #refused(version: string, error: UpdateRefusedError): void {
    this.deps.logger.warn({ version, reason: error.reason }, `update refused: ${error.message}`);
    this.deps.events.record("update_refused", null, {
      version,
      reason: error.reason,
      message: error.message,
    });
  }

  /** After a restart: a release on trial is watched; a result not told yet is told. */
  async #takeOver(state: UpdateState): Promise<void> {
    const { pending } = state;
    const file = this.deps.layout.stateFile;
    if (pending && pending.to === this.deps.running) {
      const nowMs = this.#now();
      const trial: UpdateState = {
        ...state,
        // Without a start guard (not under the unit) this release counts its own first start.
        pending:
          pending.phase === "switching"
            ? { ...pending, phase: "trial", starts: 1, deadlineMs: nowMs + pending.healthTimeoutMs }
            : pending,
      };
      if (pending.phase === "switching") await writeUpdateState(file, trial);
      this.#onTrial = true;
      this.#trial = this.#watchTrial(trial).finally(() => (this.#onTrial = false));
      return;
    }
    if (pending) {
      // The link points at `from` again (a rollback cut short, or a switch that never happened).
      const ran = await linkTarget(pending.currentLink);
      state = {
        ...state,
        pending: null,
        last: this.#result(
          "failed",
          pending.to,
          pending.from,
          pending.source,
          `${pending.to} did not take over`,
        ),
      };
      if (ran !== releaseDir(pending.releasesDir, this.deps.running))
        this.deps.logger.warn({ link: ran }, "the current link does not point at this release");
      await writeUpdateState(file, state);
    }
    await this.#report(state);
  }

  async #watchTrial(state: UpdateState): Promise<void> {
    const pending = state.pending;
    if (!pending) return;
    const deadline = pending.deadlineMs ?? this.#now() + pending.healthTimeoutMs;
    const signal = this.#abort.signal;
    try {
      while (!this.deps.healthy()) {
        if (this.#now() > deadline) {
          const reason = `${pending.config ? "the new config" : pending.to} did not report healthy in ${pending.healthTimeoutMs} ms`;
          await rollBack(this.deps.layout.stateFile, state, reason, this.#now());
          this.deps.logger.error({ version: pending.to }, `${reason}: switching back`);
          this.deps.restart(`rollback to ${pending.from}`);
          return;
        }
        await sleep(HEALTH_CHECK_EVERY_MS, undefined, { signal });
      }
      const kept: UpdateState = {
        ...state,
        pending: null,
        last: {
          ...this.#result("installed", pending.to, pending.from, pending.source, null),
          what: pending.config ? "config" : "release",
        },
      };
      await writeUpdateState(this.deps.layout.stateFile, kept);
      this.deps.logger.info({ version: pending.to, from: pending.from }, "update kept: healthy");
      await this.#report(kept);
    } catch (error) {
      if (!signal.aborted) this.deps.logger.error({ err: error }, "update trial failed");
    }
  }

  async #report(state: UpdateState): Promise<void> {
    const last = state.last;
    if (!last || last.reported) return;
    const kind = (last.what === "config" ? CONFIG_EVENT_OF : EVENT_OF)[last.outcome];
    this.deps.events.record(kind, null, {
      version: last.version,
      from: last.from,
      ...(last.reason === null ? {} : { reason: last.reason }),
      running: this.deps.running,
    });
    await writeUpdateState(this.deps.layout.stateFile, {
      ...state,
      last: { ...last, reported: true },
    });
  }

  #result(
    outcome: UpdateResult["outcome"],
    version: string,
    from: string,
    source: UpdateResult["source"],
    reason: string | null,
  ): UpdateResult {
    return { outcome, version, from, source, reason, atMs: this.#now(), reported: false };
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
