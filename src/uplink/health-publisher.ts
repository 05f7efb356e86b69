import type { HealthSampler } from "../health/index.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Outbox } from "./outbox.js";
import type { SiteTopics } from "../protocol/index.js";

export interface HealthPublisherDeps {
  sampler: Pick<HealthSampler, "sample">;
  /** Figures of the agent's own components (recorder, retention, uplink, certificate). */
  figures: () => Record<string, unknown>;
  outbox: Outbox;
  topics: SiteTopics;
  isConnected: () => boolean;
  periodMs: number;
  /** Called on every tick, connected or not (the certificate watch rides on it). */
  onTick?: () => void;
  logger: Logger;
}

/**
 * Telemetry every `uplink.healthSeconds`, while the link is up: health describes the present,
 * so none is queued during an outage, and what is queued expires after two periods.
 */
export class HealthPublisher implements Component {
  readonly name = "uplink-health";
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(private readonly deps: HealthPublisherDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#timer = setInterval(() => void this.tick(), this.deps.periodMs);
    this.#timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.deps.onTick?.();
      if (!this.deps.isConnected()) return;
      const system = await this.deps.sampler.sample();
      this.deps.outbox.put([
        {
          topic: this.deps.topics.box("health"),
          family: "health",
          body: { ts: new Date().toISOString(), ...system, ...this.deps.figures() },
          ttlMs: 2 * this.deps.periodMs,
        },
      ]);
    } catch (error) {
      this.deps.logger.error({ err: error }, "could not publish health");
    } finally {
      this.#busy = false;
    }
  }
}
