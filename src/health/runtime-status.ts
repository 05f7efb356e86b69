import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";

/**
 * What the running agent alone knows (is the link up, which recorders run), rewritten every few
 * seconds next to the store so that `camgate status`, run by a technician or a health check, can
 * tell a live agent from a stopped or hung one. Everything else it reads from the store.
 */
export const runtimeStatusSchema = z.object({
  schema: z.literal("camgate.runtime/1"),
  pid: z.number().int().positive(),
  site: z.string(),
  version: z.string(),
  /** The Node.js version the agent runs on (files written before it was added lack it). */
  node: z.string().optional(),
  state: z.enum(["running", "stopping"]),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** The file is rewritten this often; three times as old means the agent stopped answering. */
  intervalMs: z.number().int().positive(),
  uplink: z
    .object({
      connected: z.boolean(),
      broker: z.string().nullable(),
      since: z.number().nullable(),
      lastError: z.string().nullable(),
    })
    .nullable(),
  /** Per camera with a recorder: is its ffmpeg running now. */
  recording: z.record(z.string(), z.boolean()).nullable(),
  /** Per camera whose stream the recorder refuses (MJPEG...): why, for a technician. */
  refused: z.record(z.string(), z.string()).optional(),
  /** The same reasons in Vietnamese. */
  refusedVi: z.record(z.string(), z.string()).optional(),
});

export type RuntimeStatus = z.infer<typeof runtimeStatusSchema>;
export type RuntimeFigures = Pick<RuntimeStatus, "uplink" | "recording" | "refused" | "refusedVi">;

/** running: fresh and its process alive; stale: alive but silent; stopped: no such process. */
export type ServiceState = "running" | "stopping" | "stale" | "stopped";

export function runtimeStatusPath(storePath: string): string {
  return join(dirname(storePath), "runtime.json");
}

export interface RuntimeStatusWriterDeps {
  file: string;
  site: string;
  version: string;
  intervalMs: number;
  figures: () => RuntimeFigures;
  logger: Logger;
}

export class RuntimeStatusWriter implements Component {
  readonly name = "runtime-status";
  #timer: NodeJS.Timeout | undefined;
  #startedAt = "";
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RuntimeStatusWriterDeps) {}

  async start(_signal: AbortSignal): Promise<void> {
    this.#startedAt = new Date().toISOString();
    await this.#write("running");
    this.#timer = setInterval(() => void this.#write("running"), this.deps.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#write("stopping");
  }

  #write(state: RuntimeStatus["state"]): Promise<void> {
    const status: RuntimeStatus = {
      schema: "camgate.runtime/1",
      pid: process.pid,
      site: this.deps.site,
      version: this.deps.version,
      node: process.versions.node,
      state,
      startedAt: this.#startedAt,
      updatedAt: new Date().toISOString(),
      intervalMs: this.deps.intervalMs,
      ...this.deps.figures(),
    };
    // Not synced: the file describes this boot's process only, and the box writes to an SD card.
    const temp = `${this.deps.file}.tmp`;
    this.#writing = this.#writing
      .then(() => writeFile(temp, `${JSON.stringify(status)}\n`, { mode: 0o640 }))
      .then(() => rename(temp, this.deps.file))
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, "could not write the runtime status"),
      );
    return this.#writing;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, run by another user (the service user, while root asks).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The agent's runtime status and what it says about the service; undefined status if none. */
export async function readRuntimeStatus(
  file: string,
  nowMs = Date.now(),
): Promise<{ status: RuntimeStatus | undefined; service: ServiceState }> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  const parsed = text === undefined ? undefined : safeParse(text);
  if (!parsed || !processAlive(parsed.pid)) return { status: parsed, service: "stopped" };
  if (parsed.state === "stopping") return { status: parsed, service: "stopping" };
  const ageMs = nowMs - Date.parse(parsed.updatedAt);
  return { status: parsed, service: ageMs > 3 * parsed.intervalMs ? "stale" : "running" };
}

function safeParse(text: string): RuntimeStatus | undefined {
  try {
    const result = runtimeStatusSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** The one line systemctl shows: "3 of 4 cameras recording, uplink up". */
export function statusLine(figures: RuntimeFigures): string {
  const parts: string[] = [];
  if (figures.recording) {
    const states = Object.values(figures.recording);
    const running = states.filter(Boolean).length;
    parts.push(
      running === states.length
        ? `${running} camera${running === 1 ? "" : "s"} recording`
        : `${running} of ${states.length} cameras recording`,
    );
  } else parts.push("recorder off");
  if (!figures.uplink) parts.push("no uplink");
  else if (figures.uplink.connected) parts.push("uplink up");
  else parts.push(`uplink down${figures.uplink.lastError ? `: ${figures.uplink.lastError}` : ""}`);
  return parts.join(", ");
}
