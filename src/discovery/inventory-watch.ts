import type { AgentEvents } from "../agent-events.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { CameraRecord, Store } from "../store/index.js";
import type { VaultHandle } from "./credentials.js";

/** What a technician may change from the CLI while the agent runs, per camera. */
function signature(camera: CameraRecord, credentialsChangedAt: number): string {
  return JSON.stringify([
    camera.trust,
    camera.enabled,
    camera.identityIssue?.kind ?? null,
    camera.pin,
    camera.ip,
    camera.profiles,
    credentialsChangedAt,
  ]);
}

export interface InventoryWatchDeps {
  store: Pick<Store, "repos" | "dataVersion">;
  vault: VaultHandle;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  intervalMs: number;
}

/**
 * Notices what the CLI changed in the inventory while the agent runs (an approval, new
 * credentials, a camera enabled, disabled or removed) and tells the agent as discovery would,
 * so that it takes effect within seconds, without a restart. SQLite's data_version says cheaply
 * whether another connection wrote anything at all.
 */
export class InventoryWatch implements Component {
  readonly name = "inventory-watch";
  #timer: NodeJS.Timeout | undefined;
  #version = -1;
  #known = new Map<string, string>();

  constructor(private readonly deps: InventoryWatchDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#version = this.deps.store.dataVersion();
    this.#known = this.#signatures();
    this.#timer = setInterval(() => this.check(), this.deps.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Looks once; emits cameraChanged for every camera whose watched state changed. */
  check(): void {
    try {
      const version = this.deps.store.dataVersion();
      if (version === this.#version) return;
      this.#version = version;
      const now = this.#signatures();
      const ids = new Set([...now.keys(), ...this.#known.keys()]);
      for (const cameraId of ids) {
        if (now.get(cameraId) === this.#known.get(cameraId)) continue;
        this.deps.logger.info({ cameraId }, "camera changed from outside the agent");
        const camera = this.deps.store.repos.cameras.get(cameraId);
        this.deps.bus.emit("cameraChanged", { cameraId, address: camera?.ip ?? "" });
      }
      this.#known = now;
    } catch (error) {
      this.deps.logger.error({ err: error }, "could not look at the inventory");
    }
  }

  #signatures(): Map<string, string> {
    const vault = this.deps.vault.vault;
    return new Map(
      this.deps.store.repos.cameras
        .list()
        .map((camera) => [camera.id, signature(camera, vault.changedAt(camera.id))]),
    );
  }
}
