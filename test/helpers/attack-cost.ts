import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { TestContext } from "node:test";

/** What an attack may cost the agent: the event loop stays responsive, memory bounded. */
export const MAX_LOOP_DELAY_MS = 1000;
export const MAX_RSS_GROWTH = 256 * 1024 * 1024;

export interface AttackCost<T> {
  result: T;
  loopSamples: number;
  maxLoopDelayMs: number;
  rssGrowth: number;
}

const TICK_MS = 10;

/**
 * Runs `attack` while measuring the event loop's worst delay and how far RSS grew. The
 * histogram only counts from its second sample, so a block that starts at once would escape
 * it: a ticker of our own, started before the attack, measures the longest gap as well.
 */
export async function underAttack<T>(attack: () => Promise<T>): Promise<AttackCost<T>> {
  const histogram = monitorEventLoopDelay({ resolution: TICK_MS });
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  let lastTick = performance.now();
  let longestGap = 0;
  const tick = () => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - lastTick);
    lastTick = now;
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  };
  const ticker = setInterval(tick, TICK_MS);
  histogram.enable();
  try {
    await new Promise((resolve) => setTimeout(resolve, 5 * TICK_MS));
    tick();
    const result = await attack();
    tick();
    return {
      result,
      loopSamples: histogram.count,
      maxLoopDelayMs: Math.max(histogram.max / 1e6, longestGap - TICK_MS),
      rssGrowth: rssPeak - rssBefore,
    };
  } finally {
    histogram.disable();
    clearInterval(ticker);
  }
}

export function assertBounded(cost: AttackCost<unknown>, t: TestContext): void {
  t.diagnostic(
    `event loop delay at most ${cost.maxLoopDelayMs.toFixed(1)} ms (${cost.loopSamples} samples), RSS grew ${(cost.rssGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
  assert.ok(
    cost.maxLoopDelayMs < MAX_LOOP_DELAY_MS,
    `event loop blocked ${cost.maxLoopDelayMs.toFixed(0)} ms`,
  );
  assert.ok(
    cost.rssGrowth < MAX_RSS_GROWTH,
    `RSS grew ${(cost.rssGrowth / 2 ** 20).toFixed(0)} MiB`,
  );
}
