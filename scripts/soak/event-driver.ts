import { setTimeout as sleep } from "node:timers/promises";
import type { SimCamera, SimEventKind } from "../../src/sim/index.js";

/** One state change a simulated camera made: when (our clock, around the call) and what. */
export interface DrivenChange {
  camera: number;
  kind: SimEventKind;
  on: boolean;
  beforeMs: number;
  afterMs: number;
}

export interface DriverOptions {
  cameras: readonly SimCamera[];
  /** Mean seconds between two changes of one camera. */
  meanGapMs: number;
  random: () => number;
  signal: AbortSignal;
}

const KINDS: readonly SimEventKind[] = ["motion", "tamper", "intrusion"];
/**
 * No change in the last seconds before a reboot: a change the camera queued but the agent had
 * not pulled yet dies with the pull point, and comes back only as the new subscription's
 * initial state, stamped later (a real camera loses it the same way).
 */
const QUIET_BEFORE_REBOOT_MS = 3_000;

/**
 * Drives the detectors of simulated cameras: each camera turns one of motion, tamper or
 * intrusion on or off at random intervals, never while it is rebooting, and every change is
 * recorded with the time around it.
 */
export class EventDriver {
  readonly changes: DrivenChange[] = [];
  readonly reboots: { camera: number; atMs: number; downMs: number }[] = [];
  readonly #quietUntil: number[] = [];
  readonly #down = new Set<number>();

  constructor(private readonly options: DriverOptions) {}

  /** Runs every camera's schedule until the signal aborts. */
  async run(): Promise<void> {
    await Promise.all(this.options.cameras.map((_, index) => this.#camera(index)));
  }

  async #camera(index: number): Promise<void> {
    const { cameras, meanGapMs, random, signal } = this.options;
    const camera = cameras[index];
    if (!camera?.events) return;
    while (!signal.aborted) {
      const gap = meanGapMs / 2 + random() * meanGapMs;
      await sleep(gap, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      if (this.#down.has(index) || Date.now() < (this.#quietUntil[index] ?? 0)) continue;
      const kind = KINDS[Math.floor(random() * KINDS.length)] ?? "motion";
      const on = !(camera.events.stateOf(kind) ?? false);
      const beforeMs = Date.now();
      camera.events.set(kind, on);
      this.changes.push({ camera: index, kind, on, beforeMs, afterMs: Date.now() });
    }
  }

  /** Reboots a camera: quiet first, then down for `downMs` (its pull points lost), then up. */
  async reboot(index: number, downMs: number): Promise<void> {
    const camera = this.options.cameras[index];
    if (!camera || this.#down.has(index)) return;
    this.#quietUntil[index] = Date.now() + QUIET_BEFORE_REBOOT_MS + downMs + 60_000;
    await sleep(QUIET_BEFORE_REBOOT_MS);
    this.#down.add(index);
    this.reboots.push({ camera: index, atMs: Date.now(), downMs });
    await camera.stop();
    await sleep(downMs);
    await camera.start();
    // Changes again once the agent subscribed anew (after its backoff) and took the first pull.
    while (camera.events && camera.events.subscriptionCount === 0) await sleep(500);
    this.#quietUntil[index] = Date.now() + 2_000;
    this.#down.delete(index);
  }
}
