import { open, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { FaultKind, FaultRecord, PlannedFault } from "./faults.js";
import type { SoakWorld } from "./world.js";

const FILLER = ".soak-filler";

/** A change of the box clock: from `atMs` (real time) on, it is `offsetMs` off. */
export interface ClockChange {
  atMs: number;
  offsetMs: number;
}

/**
 * Applies the planned faults to the world at their moments and undoes each after its duration,
 * keeping a record of what happened when. A fault that cannot apply (no ffmpeg running at that
 * moment, no filesystem of its own to fill) is counted as skipped, not silently dropped.
 */
export class ChaosInjector {
  readonly done: FaultRecord[] = [];
  readonly skipped: { kind: FaultKind; why: string }[] = [];
  readonly clock: ClockChange[] = [{ atMs: 0, offsetMs: 0 }];
  readonly #undo = new Set<Promise<void>>();
  readonly #aborted = new AbortController();

  constructor(
    private readonly world: SoakWorld,
    private readonly random: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs the plan from now; resolves when every fault was applied and undone. */
  async run(plan: readonly PlannedFault[]): Promise<void> {
    const start = Date.now();
    for (const fault of plan) {
      const wait = start + fault.atMs - Date.now();
      if (wait > 0)
        await sleep(wait, undefined, { signal: this.#aborted.signal }).catch(() => undefined);
      if (this.#aborted.signal.aborted) break;
      const undo = this.#apply(fault).catch((error: unknown) => {
        this.log(`fault ${fault.kind} failed: ${(error as Error).message}`);
        this.skipped.push({ kind: fault.kind, why: (error as Error).message });
      });
      this.#undo.add(undo);
      void undo.finally(() => this.#undo.delete(undo));
    }
    await Promise.all(this.#undo);
  }

  /** Ends the run early: faults in progress are undone now. */
  abort(): void {
    this.#aborted.abort();
  }

  async #apply(fault: PlannedFault): Promise<void> {
    const { parts } = this.world;
    const fromMs = Date.now();
    const record = (detail: string, cameraId?: string, toMs = Date.now()) => {
      this.done.push({ kind: fault.kind, fromMs, toMs, detail, ...(cameraId ? { cameraId } : {}) });
      this.log(`${fault.kind} ${cameraId ?? ""} ${detail}`.replace(/ +/g, " "));
    };
    const hold = () =>
      sleep(fault.durationMs, undefined, { signal: this.#aborted.signal }).catch(() => undefined);
    const camera = parts.sim.cameras[fault.value];
    const cameraId = parts.cameraIds[fault.value];
    switch (fault.kind) {
      case "agent-kill":
        await parts.agent.kill();
        return record("kill -9 of the agent and its ffmpegs");
      case "ffmpeg-kill": {
        const killed = await parts.agent.killChild((count) => Math.floor(this.random() * count));
        if (killed === undefined) throw new Error("no ffmpeg running");
        return record(`kill -9 of ffmpeg ${killed.pid}`, this.#cameraOf(killed.cmdline));
      }
      case "camera-stop":
        if (!camera) throw new Error(`no camera ${fault.value}`);
        await camera.stop();
        await hold();
        await camera.start();
        return record(`stopped for ${fault.durationMs} ms`, cameraId);
      case "stream-stall":
        if (!camera) throw new Error(`no camera ${fault.value}`);
        camera.setStalled(true);
        await hold();
        camera.setStalled(false);
        return record(`stalled for ${fault.durationMs} ms`, cameraId);
      case "broker-stop":
        await parts.broker.stop();
        await hold();
        await parts.broker.start(new AbortController().signal);
        return record(`broker down for ${fault.durationMs} ms`);
      case "disk-fill":
        if (!parts.storage.ownFilesystem) throw new Error("the video has no filesystem of its own");
        await this.#fill();
        await hold();
        await rm(join(parts.storage.mount, FILLER), { force: true });
        return record(`filled into the reserve for ${fault.durationMs} ms`);
      case "clock-jump":
        if (!parts.agent.canJumpClock) throw new Error("libfaketime is not installed");
        await this.#setClock(fault.value);
        await hold();
        await this.#setClock(0);
        return record(
          `clock ${fault.value > 0 ? "+" : ""}${fault.value} s for ${fault.durationMs} ms`,
        );
      case "link-cut":
      case "link-delay":
      case "link-throttle": {
        const mode =
          fault.kind === "link-cut"
            ? ({ kind: "cut" } as const)
            : fault.kind === "link-delay"
              ? ({ kind: "delay", ms: fault.value } as const)
              : ({ kind: "throttle", bytesPerSecond: fault.value } as const);
        parts.link.setMode(mode);
        await hold();
        parts.link.setMode({ kind: "clear" });
        return record(`${JSON.stringify(mode)} for ${fault.durationMs} ms`);
      }
    }
  }

  async #setClock(seconds: number): Promise<void> {
    await this.world.parts.agent.setClockOffset(seconds);
    // libfaketime reads the file at most once a second: the change is in force after that.
    await sleep(1_100);
    this.clock.push({ atMs: Date.now(), offsetMs: seconds * 1000 });
  }

  /** Fills the video's filesystem until half the reserve is left. */
  async #fill(): Promise<void> {
    const { storage } = this.world.parts;
    const stats = await statfs(storage.mount);
    const free = stats.bavail * stats.bsize;
    let left = Math.max(0, free - storage.minFreeBytes / 2);
    const chunk = Buffer.alloc(1024 * 1024);
    const file = await open(join(storage.mount, FILLER), "w");
    try {
      while (left > 0) {
        const { bytesWritten } = await file.write(chunk, 0, Math.min(chunk.length, left));
        left -= bytesWritten;
      }
    } finally {
      await file.close();
    }
  }

  /** The camera an ffmpeg was recording, from the address in its command line. */
  #cameraOf(cmdline: string): string | undefined {
    const host = /rtsps?:\/\/(?:[^@/]*@)?([\d.]+)/.exec(cmdline)?.[1];
    return host ? this.world.cameraAt(host) : undefined;
  }
}
