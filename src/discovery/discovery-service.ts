import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import type { EventLog } from "../events/index.js";
import { type Component, eachLimited, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store } from "../store/index.js";
import type { VaultHandle } from "./credentials.js";
import { Inventory } from "./inventory.js";
import { OnvifCallError } from "./errors.js";
import { type SurveyResult, surveyDevice } from "./survey.js";
import { type DiscoveredDevice, discover } from "./ws-discovery.js";

/** Devices looked at in parallel in one round: each may wait out a call timeout. */
const SURVEYS_IN_FLIGHT = 8;

export interface DiscoveryServiceDeps {
  config: Config["discovery"];
  callTimeoutMs: number;
  store: Store;
  vault: VaultHandle;
  bus: EventBus<AgentEvents>;
  events: EventLog;
  logger: Logger;
  now?: () => number;
}

export interface DiscoveryRound {
  found: number;
  interrogated: number;
  failed: number;
  offline: number;
  /** Devices that answered discovery and wait for a technician's approval. */
  pending: number;
  /** Devices not added: no ONVIF answer, or the inventory is full. */
  ignored: number;
}

/**
 * Discovery on a schedule inside the agent: each round probes, looks at what answered (approved
 * cameras with their credentials, anything else anonymously, as pending), updates the inventory
 * and tells the rest of the agent what appeared, changed, went away, or claims to be what it is
 * not.
 */
export class DiscoveryService implements Component {
  readonly name = "discovery";
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<DiscoveryRound> | undefined;
  #abort = new AbortController();
  /** The inventory_full event is raised once until the inventory has room again. */
  #full = false;

  constructor(private readonly deps: DiscoveryServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
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
    const { config, store, logger } = this.deps;
    const now = this.deps.now ?? Date.now;
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
    const forgotten = repos.cameras.removeStalePending(now() - config.pendingExpiry);
    if (forgotten.length > 0) logger.info({ forgotten }, "pending devices not seen for long");
    const inventory = new Inventory(repos, now);
    const seen = new Set<string>();
    const round: DiscoveryRound = {
      found: devices.length,
      interrogated: 0,
      failed: 0,
      offline: 0,
      pending: 0,
      ignored: 0,
    };
    let full = false;
    await eachLimited(devices, SURVEYS_IN_FLIGHT, async (device) => {
      if (signal.aborted) return;
      if (!device.xaddr) {
        logger.warn({ urn: device.urn, errors: device.errors }, "device refused");
        round.ignored++;
        return;
      }
      const result = await surveyDevice(device, device.xaddr, {
        repos,
        inventory,
        vault: this.deps.vault.vault,
        callTimeoutMs: this.deps.callTimeoutMs,
        limits: config,
        autoApprove: config.autoApprove,
        now,
        signal,
      });
      if ("skipped" in result) {
        round.ignored++;
        full ||= result.skipped === "inventory-full";
        logger.debug({ urn: device.urn, reason: result.skipped }, "device not added");
        return;
      }
      seen.add(result.camera.id);
      this.#report(device, result, round);
    });
    this.#inventoryFull(full, devices.length);
    if (!signal.aborted) {
      for (const camera of repos.cameras.list()) {
        // A camera added by its RTSP URL does not answer discovery: its silence says nothing.
        if (camera.xaddrs.length === 0) continue;
        if (seen.has(camera.id) || !inventory.markUnreachable(camera.id)) continue;
        round.offline++;
        this.deps.bus.emit("cameraOffline", { cameraId: camera.id });
      }
    }
    logger.info(round, "discovery round");
    return round;
  }

  #report(
    device: DiscoveredDevice,
    result: Exclude<SurveyResult, { skipped: unknown }>,
    round: DiscoveryRound,
  ): void {
    const { bus, events, logger } = this.deps;
    const { camera, change, report, error, identity } = result;
    const log = logger.child({ cameraId: camera.id, address: camera.ip });
    if (camera.trust === "pending") round.pending++;
    else if (error) {
      round.failed++;
      logFailure(log, camera.id, camera.ip, error);
    } else if (report) {
      round.interrogated++;
      for (const warning of report.warnings) log.debug({ warning }, "interrogation warning");
    }
    if (identity) {
      const { issue } = identity;
      log.warn({ issue }, "camera identity changed: waiting for a technician");
      events.record("camera_identity_changed", identity.camera.id, { ...issue });
      bus.emit("cameraChanged", {
        cameraId: identity.camera.id,
        address: identity.camera.ip ?? "",
      });
    }
    const address = camera.ip ?? "";
    if (change === "new") {
      if (camera.trust === "pending")
        events.record("camera_pending", camera.id, {
          address,
          urn: device.urn,
          manufacturer: camera.manufacturer,
          model: camera.model,
          claims: camera.claims,
        });
      bus.emit("cameraDiscovered", { cameraId: camera.id, address });
    }
    if (change === "changed") bus.emit("cameraChanged", { cameraId: camera.id, address });
  }

  #inventoryFull(full: boolean, found: number): void {
    if (full && !this.#full) {
      const { cameras } = this.deps.store.repos;
      this.deps.events.record("inventory_full", null, {
        cameras: cameras.count(),
        pending: cameras.count("pending"),
        maxCameras: this.deps.config.maxCameras,
        maxPending: this.deps.config.maxPending,
        found,
      });
    }
    this.#full = full;
  }
}

/**
 * One line a technician can act on. A camera that refuses its stored credentials (its password
 * was changed on the camera) is named with the command that fixes it; any other expected
 * failure of a call says what happened, without a stack; only the unexpected keeps one.
 */
function logFailure(log: Logger, cameraId: string, ip: string | null, error: Error): void {
  if (error instanceof OnvifCallError && error.kind === "not-authorized") {
    log.warn(
      { reason: error.message },
      `camera ${cameraId} (${ip ?? "?"}) refused its stored credentials: wrong username or password; ` +
        `fix: camgate cameras credentials ${cameraId} -u USER --password-stdin`,
    );
  } else if (error instanceof OnvifCallError) {
    log.warn({ reason: error.message, kind: error.kind }, "interrogation failed");
  } else {
    log.warn({ err: error }, "interrogation failed");
  }
}
