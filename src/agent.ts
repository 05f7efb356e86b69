import { dirname, join } from "node:path";
import { AccessLog } from "./access/index.js";
import type { AgentEvents } from "./agent-events.js";
import { createUplink, forwardModeOf } from "./agent-uplink.js";
import { AuditService } from "./audit/index.js";
import { applyReload, type Config, planReload } from "./config/index.js";
import { CameraEventService } from "./camera-events/index.js";
import { EventSnapshots } from "./camera-events/event-snapshots.js";
import { CamgateError } from "./errors.js";
import { AgentVault, DiscoveryService, InventoryWatch } from "./discovery/index.js";
import { EventHistory, EventLog } from "./events/index.js";
import {
  notifyEnvironment,
  type RuntimeFigures,
  RuntimeStatusWriter,
  runtimeStatusPath,
  statusLine,
  SystemdNotifier,
} from "./health/index.js";
import {
  type Component,
  ComponentGroup,
  EventBus,
  type Runnable,
  type StopReport,
} from "./lifecycle/index.js";
import type { Logger } from "./log/index.js";
import { locateFfmpeg, RecorderService } from "./recorder/index.js";
import { EventHolds, RingBuffer } from "./retention/index.js";
import { RtspRelay } from "./rtsp-relay/index.js";
import { Store, StoreBudget } from "./store/index.js";
import { packageVersion } from "./version.js";
import type { CrashPoint } from "./cert-renewal/index.js";
import { boxSerial } from "./pki/index.js";

const CRASH_POINTS: readonly string[] = ["key-generated", "csr-sent", "cert-received", "mid-swap"];

/** Tests kill the box at a renewal step with TEST_CAMGATE_CRASH_AT (see test/integration). */
function crashPoint(env: NodeJS.ProcessEnv): CrashPoint | undefined {
  const point = env["TEST_CAMGATE_CRASH_AT"];
  return point !== undefined && CRASH_POINTS.includes(point) ? (point as CrashPoint) : undefined;
}

function recorderFigures(recorder: RecorderService): { cameras: number; running: number } {
  const processes = [...recorder.processes().values()];
  return {
    cameras: processes.length,
    running: processes.filter((pid) => pid !== undefined).length,
  };
}

const RUNTIME_STATUS_EVERY_MS = 5_000;
/** How often the agent looks for what the CLI changed in the inventory (approvals, credentials). */
const INVENTORY_WATCH_EVERY_MS = 2_000;
/**
 * How often the RTSP relay reads a recorded camera: a read per frame cost node more CPU than all
 * else it does (bench:recorder); recording does not need the latency, live views are not paced.
 */
const RELAY_PACE_MS = 1000;
/** How often the events table is held to the database's size budget. */
const EVENT_HISTORY_EVERY_MS = 60_000;

export class ReloadUnavailableError extends CamgateError {}

export interface AgentOptions {
  stopTimeoutMs: number;
  /** The config the components were built with; SIGHUP updates its reloadable keys in place. */
  config?: Config;
  /** Reads the config file again (SIGHUP); without it the agent cannot reload. */
  loadConfig?: () => Promise<Config>;
}

/**
 * The composition root. `Agent.fromConfig` is the one place that constructs components and
 * hands each its config slice, a child logger, the store and the bus; nothing else reaches for
 * shared state. Components start in dependency order and stop in reverse.
 */
export class Agent implements Runnable {
  readonly #group: ComponentGroup;

  constructor(
    readonly components: readonly Component[],
    readonly bus: EventBus<AgentEvents>,
    private readonly logger: Logger,
    private readonly options: AgentOptions,
  ) {
    this.#group = new ComponentGroup(components, logger, {
      onStarted: (name) => bus.emit("componentStarted", { name }),
      onStopped: (name) => bus.emit("componentStopped", { name }),
    });
  }

  static fromConfig(
    config: Config,
    logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
    loadConfig?: () => Promise<Config>,
    configFile?: string,
  ): Agent {
    const bus = new EventBus<AgentEvents>((event, error) =>
      logger.error({ err: error, event: String(event) }, "event listener failed"),
    );
    const child = (component: string) => logger.child({ component });
    const store = new Store(config.store.path, child("store"));
    const events = new EventLog(store, bus, child("events"));
    const vault = new AgentVault(store, config.secrets.keyFile);
    const discovery = config.discovery.enabled
      ? new DiscoveryService({
          config: config.discovery,
          callTimeoutMs: config.discovery.callTimeout,
          store,
          vault,
          bus,
          events,
          logger: child("discovery"),
        })
      : undefined;
    const audit = config.audit.enabled
      ? new AuditService({
          config: config.audit,
          vault,
          signingKeyFile: config.uplink.key,
          store,
          bus,
          logger: child("audit"),
          basicAuthAllowed: (id) => config.recorder.cameras[id]?.allowBasicAuth === true,
        })
      : undefined;
    const cameraEvents = config.events.enabled
      ? new CameraEventService({
          store,
          vault,
          bus,
          log: events,
          logger: child("camera-events"),
          maxPerMinute: config.events.maxPerMinute,
          timing: {
            pullWaitMs: config.events.pullWait,
            pullIntervalMs: config.events.pullInterval,
            terminationMs: config.events.subscriptionTime,
            retryMaxMs: config.events.retryMax,
          },
        })
      : undefined;
    const snapshotSpool =
      cameraEvents && config.events.snapshot
        ? join(dirname(config.store.path), "event-snapshots")
        : undefined;
    const eventSnapshots = snapshotSpool
      ? new EventSnapshots({
          store,
          vault,
          bus,
          spoolDir: snapshotSpool,
          ffmpeg: async () =>
            (await locateFfmpeg({ configured: config.recorder.ffmpegPath, env })).path,
          logger: child("event-snapshots"),
        })
      : undefined;
    const retention = config.recorder.enabled
      ? new RingBuffer({
          config: config.storage,
          store,
          events,
          bus,
          logger: child("retention"),
          // forward: events sends only the video around events; the rest is not missed.
          expected: (segment) =>
            forwardModeOf(config, segment.cameraId) !== "events" ||
            store.repos.eventWindows.covers(segment.cameraId, segment.startMs, segment.endMs),
        })
      : undefined;
    const eventHolds = retention
      ? new EventHolds({
          events: config.events,
          storage: config.storage,
          store,
          log: events,
          bus,
          logger: child("event-holds"),
        })
      : undefined;
    // ffmpeg (recording and live) reads cameras through it: no password in argv, Digest only.
    const relay = retention
      ? new RtspRelay({
          logger: child("rtsp-relay"),
          ticketTtlMs: Math.max(30_000, config.recorder.connectTimeout),
          connectTimeoutMs: config.recorder.connectTimeout,
          paceMs: RELAY_PACE_MS,
          onRefusal: (cameraId, reason, detail) =>
            events.record("camera_refused", cameraId, { reason, detail }),
        })
      : undefined;
    const recorder =
      retention && relay
        ? new RecorderService({
            config,
            vault,
            store,
            bus,
            events,
            space: retention,
            relay,
            logger: child("recorder"),
            env,
          })
        : undefined;
    const uplink =
      config.uplink.brokers.length > 0
        ? createUplink({
            config,
            store,
            bus,
            events,
            accessLog: new AccessLog(store, bus),
            recorder,
            discovery,
            audit,
            snapshotSpool,
            configFile,
            env,
            logger: child("uplink"),
            boxSerial,
            crashAt: crashPoint(env),
            figures: () => ({
              ...(retention ? { storage: retention.status() } : {}),
              ...(eventHolds ? { eventHolds: eventHolds.status() } : {}),
              ...(recorder ? { recorder: recorderFigures(recorder) } : {}),
            }),
          })
        : undefined;
    const runtime = (): RuntimeFigures => ({
      uplink: uplink?.status() ?? null,
      recording: recorder
        ? Object.fromEntries([...recorder.processes()].map(([id, pid]) => [id, pid !== undefined]))
        : null,
      ...(recorder ? { refused: Object.fromEntries(recorder.refusals()) } : {}),
      ...(recorder ? { refusedVi: Object.fromEntries(recorder.refusalsVi()) } : {}),
    });
    const notify = notifyEnvironment(env);
    // Start order: the store first, the uplink before what feeds it, each part after what it
    // needs; systemd hears READY once everything else runs, and STOPPING before anything stops.
    const components: Component[] = [
      store,
      vault,
      new InventoryWatch({
        store,
        vault,
        bus,
        logger: child("inventory-watch"),
        intervalMs: INVENTORY_WATCH_EVERY_MS,
      }),
      ...(uplink?.components ?? []),
      new EventHistory({
        store,
        budget: new StoreBudget(store, config.store.maxBytes),
        logger: child("event-history"),
        everyMs: EVENT_HISTORY_EVERY_MS,
      }),
      ...[
        discovery,
        audit,
        retention,
        eventHolds,
        relay,
        recorder,
        eventSnapshots,
        cameraEvents,
      ].filter((part) => part !== undefined),
      new RuntimeStatusWriter({
        file: runtimeStatusPath(config.store.path),
        site: config.site.id,
        version: packageVersion(),
        intervalMs: RUNTIME_STATUS_EVERY_MS,
        figures: runtime,
        logger: child("runtime-status"),
      }),
      ...(notify
        ? [
            new SystemdNotifier({
              environment: notify,
              statusLine: () => statusLine(runtime()),
              statusEveryMs: RUNTIME_STATUS_EVERY_MS,
              logger: child("systemd"),
            }),
          ]
        : []),
    ];
    return new Agent(components, bus, logger, {
      stopTimeoutMs: config.agent.stopTimeout,
      config,
      ...(loadConfig ? { loadConfig } : {}),
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.#group.start(signal);
  }

  stop(): Promise<StopReport> {
    return this.#group.stop(this.options.stopTimeoutMs);
  }

  /**
   * Reads the config file again and applies what can change while running; a file that does
   * not validate changes nothing (ConfigError, every problem listed).
   */
  async reload(): Promise<void> {
    const { config, loadConfig } = this.options;
    if (!config || !loadConfig) throw new ReloadUnavailableError("this agent has no config file");
    const next = await loadConfig();
    const plan = planReload(config, next);
    if (plan.restart.length > 0)
      this.logger.warn({ keys: plan.restart }, "these changes take effect after a restart");
    if (plan.apply.length === 0) {
      this.logger.info("reload: nothing to apply");
      return;
    }
    applyReload(config, next);
    this.logger.info({ keys: plan.apply }, "config reloaded");
    this.bus.emit("configReloaded", { applied: plan.apply });
  }
}
