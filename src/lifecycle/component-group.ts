import type { Logger } from "../log/index.js";
import type { Component } from "./component.js";
import { ComponentStartError, ComponentStopError, StopTimeoutError } from "./errors.js";

export interface StopReport {
  stopped: string[];
  failures: Error[];
}

function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Starts components in the order given and stops the started ones in reverse. A failed start
 * stops what already runs, then rethrows. stop() gives each component its share of one overall
 * deadline and reports every failure instead of throwing at the first.
 */
export class ComponentGroup {
  readonly #started: Component[] = [];
  #stopping: Promise<StopReport> | undefined;

  constructor(
    private readonly components: readonly Component[],
    private readonly logger: Logger,
    private readonly hooks: {
      onStarted?: (name: string) => void;
      onStopped?: (name: string) => void;
    } = {},
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    for (const component of this.components) {
      signal.throwIfAborted();
      const log = this.logger.child({ component: component.name });
      log.debug("starting");
      try {
        await component.start(signal);
      } catch (error) {
        const failure = new ComponentStartError(component.name, error);
        log.warn("start failed; stopping what was started");
        const report = await this.stop(10_000);
        for (const stopFailure of report.failures)
          log.error({ err: stopFailure }, "stop after failed start");
        throw failure;
      }
      this.#started.push(component);
      this.hooks.onStarted?.(component.name);
      log.info("started");
    }
  }

  /** Idempotent: a second call waits for the first. */
  stop(deadlineMs: number): Promise<StopReport> {
    this.#stopping ??= this.#stopAll(deadlineMs);
    return this.#stopping;
  }

  async #stopAll(deadlineMs: number): Promise<StopReport> {
    const report: StopReport = { stopped: [], failures: [] };
    const endAt = Date.now() + deadlineMs;
    for (const component of [...this.#started].reverse()) {
      const remaining = Math.max(1, endAt - Date.now());
      const log = this.logger.child({ component: component.name });
      try {
        await withDeadline(
          Promise.resolve().then(() => component.stop()),
          remaining,
          () => new StopTimeoutError(component.name, deadlineMs),
        );
        report.stopped.push(component.name);
        this.hooks.onStopped?.(component.name);
        log.info("stopped");
      } catch (error) {
        const failure =
          error instanceof StopTimeoutError ? error : new ComponentStopError(component.name, error);
        report.failures.push(failure);
        log.error({ err: failure }, "stop failed");
      }
    }
    this.#started.length = 0;
    return report;
  }
}
