import type { AgentEvents } from "../agent-events.js";
import type { VaultHandle } from "../discovery/credentials.js";
import type { EventLog } from "../events/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { CameraRecord, Store } from "../store/index.js";
import { ReplyCommits } from "./reply-commits.js";
import { CameraEventSubscription, DEFAULT_EVENT_TIMING, type EventTiming } from "./subscription.js";

export interface CameraEventServiceDeps {
  store: Pick<Store, "repos">;
  vault: VaultHandle;
  bus: EventBus<AgentEvents>;
  log: EventLog;
  logger: Logger;
  timing?: Partial<EventTiming>;
  /** Events recorded at most per camera per minute (see EventRate). */
  maxPerMinute?: number;
  /** How often the inventory is looked at again for cameras approved or removed. */
  rescanMs?: number;
  /** How long a reply's events may wait to be committed with others' (see ReplyCommits). */
  commitDelayMs?: number;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/** Only an approved camera whose identity still matches its pin is subscribed to. */
function subscribable(camera: CameraRecord): boolean {
  return (
    camera.trust === "approved" &&
    camera.enabled &&
    camera.identityIssue?.kind !== "mismatch" &&
    camera.xaddrs.length > 0
  );
}

/**
 * Owns one event subscription per approved camera: starts one when a camera becomes
 * subscribable, disposes of it (Unsubscribe) when the camera no longer is or the agent stops.
 */
export class CameraEventService implements Component {
  readonly name = "camera-events";
  readonly #running = new Map<string, Running>();
  #unsubscribe: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #commits: ReplyCommits;

  constructor(private readonly deps: CameraEventServiceDeps) {
    this.#commits = new ReplyCommits(deps.log, deps.commitDelayMs);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#stopped = false;
    const { bus } = this.deps;
    const reconcile = () => this.reconcile();
    // A changed camera (new credentials, address, approval) gets a fresh subscription at once,
    // not after the backoff of one that failed with what it had before.
    const restart = ({ cameraId }: { cameraId: string }) =>
      void this.#dispose(cameraId).then(reconcile);
    this.#unsubscribe = [bus.on("cameraChanged", restart), bus.on("cameraDiscovered", reconcile)];
    this.#timer = setInterval(reconcile, this.deps.rescanMs ?? 30_000);
    this.#timer.unref();
    this.reconcile();
  }

  /** Cameras with a running subscription. */
  cameras(): string[] {
    return [...this.#running.keys()];
  }

  /** Starts and disposes of subscriptions to match the inventory. */
  reconcile(): void {
    if (this.#stopped) return;
    let wanted: Set<string>;
    try {
      wanted = new Set(
        this.deps.store.repos.cameras
          .list()
          .filter(subscribable)
          .map((camera) => camera.id),
      );
    } catch (error) {
      this.deps.logger.error({ err: error }, "could not read the inventory");
      return;
    }
    for (const cameraId of this.#running.keys()) {
      if (!wanted.has(cameraId)) void this.#dispose(cameraId);
    }
    for (const cameraId of wanted) {
      if (this.#running.has(cameraId)) continue;
      const controller = new AbortController();
      const subscription = new CameraEventSubscription({
        cameraId,
        store: this.deps.store,
        vault: this.deps.vault,
        log: this.deps.log,
        commits: this.#commits,
        timing: { ...DEFAULT_EVENT_TIMING, ...this.deps.timing },
        maxPerMinute: this.deps.maxPerMinute,
        logger: this.deps.logger,
      });
      this.#running.set(cameraId, { controller, done: subscription.run(controller.signal) });
    }
  }

  async #dispose(cameraId: string): Promise<void> {
    const running = this.#running.get(cameraId);
    if (!running) return;
    this.#running.delete(cameraId);
    running.controller.abort();
    await running.done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await Promise.all([...this.#running.keys()].map((cameraId) => this.#dispose(cameraId)));
    this.#commits.flush();
  }
}
