import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store, StoreBudget } from "../store/index.js";

/** Events forgotten in one statement (one commit), at most. */
const PRUNE_BATCH = 1000;
/** The newest events always stay, whatever the budget (`status`, `events list`). */
export const EVENTS_ALWAYS_KEPT = 1000;

export interface EventHistoryDeps {
  store: Pick<Store, "repos">;
  budget: Pick<StoreBudget, "over">;
  logger: Logger;
  /** How often the budget is looked at. */
  everyMs: number;
}

/**
 * Keeps the events table within the database's size budget (`store.maxBytes`): cameras report
 * as much as they like, so over the budget the oldest events the uplink already has give way.
 */
export class EventHistory implements Component {
  readonly name = "event-history";
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EventHistoryDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.prune();
    this.#timer = setInterval(() => this.prune(), this.deps.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets the oldest events while the database is over its budget; returns how many. */
  prune(): number {
    const { store, budget, logger } = this.deps;
    let pruned = 0;
    try {
      while (budget.over()) {
        const batch = store.repos.events.pruneOldest(PRUNE_BATCH, EVENTS_ALWAYS_KEPT);
        pruned += batch;
        if (batch < PRUNE_BATCH) break;
      }
    } catch (error) {
      logger.error({ err: error }, "could not prune events");
    }
    if (pruned > 0)
      logger.warn({ pruned }, "database over its budget: the oldest events forgotten");
    return pruned;
  }
}
