import type { AgentEvents } from "./agent-events.js";
import { AuditService } from "./audit/index.js";
import type { Config } from "./config/index.js";
import { DiscoveryService } from "./discovery/index.js";
import { EventLog } from "./events/index.js";
import {
  type Component,
  ComponentGroup,
  EventBus,
  type Runnable,
  type StopReport,
} from "./lifecycle/index.js";
import type { Logger } from "./log/index.js";
import { RecorderService } from "./recorder/index.js";
import { RingBuffer } from "./retention/index.js";
import { Store } from "./store/index.js";
import { createUplink } from "./uplink/index.js";

function recorderFigures(recorder: RecorderService): { cameras: number; running: number } {
  const processes = [...recorder.processes().values()];
  return {
    cameras: processes.length,
    running: processes.filter((pid) => pid !== undefined).length,
  };
}

export interface AgentOptions {
  stopTimeoutMs: number;
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
    logger: Logger,
    private readonly options: AgentOptions,
  ) {
    this.#group = new ComponentGroup(components, logger, {
      onStarted: (name) => bus.emit("componentStarted", { name }),
      onStopped: (name) => bus.emit("componentStopped", { name }),
    });
  }

  static fromConfig(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Agent {
    const bus = new EventBus<AgentEvents>((event, error) =>
      logger.error({ err: error, event: String(event) }, "event listener failed"),
    );
    const child = (component: string) => logger.child({ component });
    // Dependency order: the store first; each capability after what it needs.
    const store = new Store(config.store.path, child("store"));
    const components: Component[] = [store];
    const events = new EventLog(store, bus, child("events"));
    let retention: RingBuffer | undefined;
    let recorder: RecorderService | undefined;
    if (config.uplink.brokers.length > 0) {
      const uplink = createUplink({
        config,
        store,
        bus,
        events,
        logger: child("uplink"),
        figures: () => ({
          ...(retention ? { storage: retention.status() } : {}),
          ...(recorder ? { recorder: recorderFigures(recorder) } : {}),
        }),
      });
      components.push(...uplink);
    }
    if (config.discovery.enabled) {
      components.push(
        new DiscoveryService({
          config: config.discovery,
          callTimeoutMs: config.discovery.callTimeout,
          keyFile: config.secrets.keyFile,
          store,
          bus,
          logger: child("discovery"),
        }),
      );
    }
    if (config.audit.enabled) {
      components.push(
        new AuditService({
          config: config.audit,
          keyFile: config.secrets.keyFile,
          signingKeyFile: config.uplink.key,
          store,
          bus,
          logger: child("audit"),
        }),
      );
    }
    if (config.recorder.enabled) {
      retention = new RingBuffer({
        config: config.storage,
        store,
        events,
        bus,
        logger: child("retention"),
      });
      recorder = new RecorderService({
        config,
        keyFile: config.secrets.keyFile,
        store,
        bus,
        events,
        space: retention,
        logger: child("recorder"),
        env,
      });
      components.push(retention, recorder);
    }
    return new Agent(components, bus, logger, { stopTimeoutMs: config.agent.stopTimeout });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.#group.start(signal);
  }

  stop(): Promise<StopReport> {
    return this.#group.stop(this.options.stopTimeoutMs);
  }
}
