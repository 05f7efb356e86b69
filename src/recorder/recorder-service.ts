import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import type { VaultHandle } from "../discovery/index.js";
import type { EventLog } from "../events/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { RelayTicket, RtspRelay } from "../rtsp-relay/index.js";
import type { CameraRecord, Store } from "../store/index.js";
import { CameraRecorder, type SpaceKeeper } from "./camera-recorder.js";
import { locateFfmpeg } from "./ffmpeg-binary.js";
import { locateFfprobe } from "./media-probe.js";
import { reconcileStorage } from "./reconcile.js";
import { type RecordingTarget, recordingTarget, sameTarget } from "./recording-target.js";
import { hashScratch } from "./segment-files.js";

export interface RecorderServiceDeps {
  config: Pick<Config, "recorder" | "storage">;
  vault: VaultHandle;
  store: Store;
  bus: EventBus<AgentEvents>;
  events: EventLog;
  space: SpaceKeeper;
  /** What every ffmpeg (recording and live) reads its camera through. */
  relay: Pick<RtspRelay, "open">;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

/**
 * Only a camera a technician approved, still at the identity it was pinned to, and enabled is
 * recorded: a device that merely answered discovery, or one whose identity no longer matches,
 * never gets a credential or a place in the evidence.
 */
export function isRecordable(
  camera: Pick<CameraRecord, "enabled" | "trust" | "identityIssue">,
): boolean {
  return camera.enabled && camera.trust === "approved" && camera.identityIssue?.kind !== "mismatch";
}

/**
 * Records every enabled camera of the inventory: reconciles disk and index first, then runs one
 * supervised ffmpeg per camera, and follows the inventory as discovery changes it.
 */
export class RecorderService implements Component {
  readonly name = "recorder";
  readonly #recorders = new Map<string, CameraRecorder>();
  #ffmpeg = "";
  #ffprobe = "";
  #hashBuffer: Buffer | undefined;
  #unsubscribe: (() => void)[] = [];
  #sync: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(private readonly deps: RecorderServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    const { config, store, bus, logger } = this.deps;
    this.#stopping = false;
    const ffmpeg = await locateFfmpeg({
      configured: config.recorder.ffmpegPath,
      env: this.deps.env,
    });
    this.#ffmpeg = ffmpeg.path;
    logger.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source }, "using ffmpeg");
    this.#ffprobe = await locateFfprobe(ffmpeg.path, this.deps.env);
    await reconcileStorage({
      storageDir: config.storage.dir,
      segments: store.repos.segments,
      events: this.deps.events,
      ffprobe: this.#ffprobe,
      ffmpeg: ffmpeg.path,
      logger,
      onIndexed: (segment) => bus.emit("segmentClosed", { segment }),
    });
    signal.throwIfAborted();
    const follow = ({ cameraId }: { cameraId: string }) =>
      this.#enqueue(() => this.#apply(cameraId));
    // A reload may enable, disable or re-profile any camera: every one is looked at again.
    const followAll = () => {
      const ids = new Set([
        ...store.repos.cameras.list().map((camera) => camera.id),
        ...this.#recorders.keys(),
      ]);
      for (const cameraId of ids) follow({ cameraId });
    };
    this.#unsubscribe = [
      bus.on("cameraDiscovered", follow),
      bus.on("cameraChanged", follow),
      bus.on("configReloaded", followAll),
    ];
    for (const camera of store.repos.cameras.list()) await this.#apply(camera.id);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await this.#sync;
    await Promise.all([...this.#recorders.values()].map((recorder) => recorder.stop()));
    this.#recorders.clear();
  }

  /**
   * What a live view of a camera runs: ffmpeg, the camera's smallest stream, and a single-use
   * relay URL for it (to revoke when the view ends).
   */
  liveSource(
    cameraId: string,
  ): { ffmpeg: string; target: RecordingTarget; ticket: RelayTicket } | { skip: string } {
    const camera = this.deps.store.repos.cameras.get(cameraId);
    if (!camera) return { skip: `no camera ${cameraId} in the inventory` };
    if (!this.#ffmpeg) return { skip: "the recorder is not running" };
    if (camera.trust !== "approved") return { skip: `camera ${cameraId} is not approved` };
    const target = recordingTarget(camera, {
      credentials: this.deps.vault.vault.forCamera(camera),
      allowBasicAuth: this.deps.config.recorder.cameras[cameraId]?.allowBasicAuth,
      smallest: true,
    });
    if ("skip" in target) return target;
    const ticket = this.deps.relay.open(target, { lowLatency: true });
    return { ffmpeg: this.#ffmpeg, target, ticket };
  }

  /** Camera id → why its stream is refused, for the cameras whose stream is. */
  refusals(): Map<string, string> {
    const refused = new Map<string, string>();
    for (const [id, recorder] of this.#recorders)
      if (recorder.refusal !== undefined) refused.set(id, recorder.refusal);
    return refused;
  }

  /** The same, in Vietnamese. */
  refusalsVi(): Map<string, string> {
    const refused = new Map<string, string>();
    for (const [id, recorder] of this.#recorders)
      if (recorder.refusalVi !== undefined) refused.set(id, recorder.refusalVi);
    return refused;
  }

  /** Camera id → ffmpeg pid, for status and tests. */
  processes(): Map<string, number | undefined> {
    return new Map([...this.#recorders].map(([id, recorder]) => [id, recorder.pid]));
  }

  #enqueue(work: () => Promise<void>): void {
    this.#sync = this.#sync
      .then(work)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "recorder update failed"));
  }

  /** Starts, restarts or stops one camera's recorder to match the inventory and config. */
  async #apply(cameraId: string): Promise<void> {
    if (this.#stopping) return;
    const { config, store, logger } = this.deps;
    const camera = store.repos.cameras.get(cameraId);
    const override = config.recorder.cameras[cameraId];
    const current = this.#recorders.get(cameraId);
    const log = logger.child({ camera: cameraId });
    const wanted = camera !== undefined && isRecordable(camera) && override?.enabled !== false;
    const target = wanted
      ? recordingTarget(camera, {
          profile: override?.profile,
          credentials: this.deps.vault.vault.forCamera(camera),
          allowBasicAuth: override?.allowBasicAuth,
        })
      : undefined;
    if (target && "skip" in target) log.warn({ reason: target.skip }, "camera not recorded");
    const next = target && !("skip" in target) ? target : undefined;
    const audio = override?.audio ?? config.recorder.audio;
    if (current && next && sameTarget(current.target, next) && current.audioMode === audio) return;
    if (current) {
      await current.stop();
      this.#recorders.delete(cameraId);
    }
    if (!next) return;
    const recorder = new CameraRecorder({
      target: next,
      ffmpeg: this.#ffmpeg,
      ffprobe: this.#ffprobe,
      relay: this.deps.relay,
      hashBuffer: (this.#hashBuffer ??= hashScratch()),
      storageDir: config.storage.dir,
      segmentSeconds: config.storage.segmentSeconds,
      connectTimeoutMs: config.recorder.connectTimeout,
      restartDelayMaxMs: config.recorder.restartDelayMax,
      audio,
      segments: store.repos.segments,
      events: this.deps.events,
      bus: this.deps.bus,
      space: this.deps.space,
      logger: log,
      now: this.deps.now,
    });
    this.#recorders.set(cameraId, recorder);
    recorder.start();
    log.info({ url: next.displayUrl, profile: next.profileToken }, "recording");
  }
}
