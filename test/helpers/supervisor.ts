import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { type CleanupScope, defer } from "./temp.js";

const run = promisify(execFile);

export interface SupervisedExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * What systemd does for camgate.service, in a test: before every start the start guard
 * (ExecStartPre, `-`: its failure does not stop the start), then `node <current>/dist/src/main.js
 * run`, started again whenever it exits (Restart=always), at most `maxStarts` times.
 */
export class Supervisor {
  readonly exits: SupervisedExit[] = [];
  readonly guardLines: string[] = [];
  #child: ChildProcess | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #log: WriteStream;

  constructor(
    private readonly options: {
      /** Holds `current` (the link) and `update-guard/`. */
      base: string;
      config: string;
      stateFile: string;
      logFile: string;
      maxStarts?: number;
      restartDelayMs?: number;
    },
  ) {
    this.#log = createWriteStream(options.logFile, { flags: "a" });
  }

  static start(t: CleanupScope, options: ConstructorParameters<typeof Supervisor>[0]): Supervisor {
    const supervisor = new Supervisor(options);
    defer(t, () => supervisor.stop());
    supervisor.resume();
    return supervisor;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  resume(): void {
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const { base, config, stateFile } = this.options;
    for (let start = 0; start < (this.options.maxStarts ?? 30) && !this.#stopped; start++) {
      const guard = join(base, "update-guard/update/start-guard.js");
      if (existsSync(guard)) {
        const result = await run(process.execPath, [guard, stateFile]).catch(
          (error: { stdout?: string; stderr?: string }) => ({
            stdout: error.stdout ?? "",
            stderr: error.stderr ?? "guard failed",
          }),
        );
        this.guardLines.push(`${result.stdout}${result.stderr}`.trim());
      }
      if (this.#stopped) break;
      const child = spawn(
        process.execPath,
        [join(base, "current/dist/src/main.js"), "run", "--config", config],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      this.#child = child;
      child.stdout?.pipe(this.#log, { end: false });
      child.stderr?.pipe(this.#log, { end: false });
      const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
      this.exits.push({ pid: child.pid ?? 0, code, signal });
      if (!this.#stopped) await sleep(this.options.restartDelayMs ?? 200);
    }
  }

  /** kill -9 of the agent: no clean-up of any kind. */
  kill9(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error("the agent is not running");
    process.kill(pid, "SIGKILL");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const child = this.#child;
    const running = child && child.exitCode === null && child.signalCode === null;
    if (running) child.kill("SIGTERM");
    const killer = running ? setTimeout(() => child.kill("SIGKILL"), 25_000) : undefined;
    await this.#loop;
    clearTimeout(killer);
    this.#child = undefined;
  }
}
