import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { childrenOf, rssMiB } from "../lib/processes.js";

const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
];

/** How one run of the agent ended. */
export interface AgentExit {
  atMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed or stopped by the soak itself. */
  injected: boolean;
}

export interface RssSample {
  atMs: number;
  /** Which run of the agent (0 for the first). */
  run: number;
  sinceStartMs: number;
  mib: number;
}

/**
 * `camgate run` as systemd runs it: restarted `restartDelayMs` after any exit until stopped, its
 * whole process group killed on kill -9 (as a cgroup kill takes ffmpeg along), output appended to
 * one log. With libfaketime installed its clock can be jumped (`setClockOffset`).
 */
export class AgentProcess {
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #runs = -1;
  #stopping = false;
  #injectedKill = false;
  #log: WriteStream | undefined;
  #restart: NodeJS.Timeout | undefined;
  #sampler: NodeJS.Timeout | undefined;
  readonly exits: AgentExit[] = [];
  readonly rss: RssSample[] = [];
  readonly canJumpClock: boolean;
  readonly #fakeTime: string | undefined;

  constructor(
    private readonly options: {
      mainJs: string;
      config: string;
      logFile: string;
      clockFile: string;
      restartDelayMs: number;
      /** Options for node itself (a benchmark's --cpu-prof, which NODE_OPTIONS refuses). */
      nodeArgs?: readonly string[] | undefined;
      /** Environment the unit gives the agent (Environment= lines), over this process's. */
      env?: Readonly<Record<string, string>> | undefined;
    },
  ) {
    this.#fakeTime = LIBFAKETIME.find((path) => existsSync(path));
    this.canJumpClock = this.#fakeTime !== undefined;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  async start(): Promise<void> {
    await writeFile(this.options.clockFile, "+0\n");
    this.#log = createWriteStream(this.options.logFile, { flags: "a", mode: 0o600 });
    this.#spawn();
    this.#sampler = setInterval(() => void this.#sampleRss(), 5_000);
  }

  /** The box clock, this many seconds off the real one (libfaketime reads the file each second). */
  async setClockOffset(seconds: number): Promise<void> {
    await writeFile(this.options.clockFile, `${seconds >= 0 ? "+" : ""}${seconds}s\n`);
  }

  /** kill -9 of the agent and its ffmpeg children; the restart follows as systemd's would. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#injectedKill = true;
    const exited = once(child, "exit");
    process.kill(-(child.pid ?? 0), "SIGKILL");
    await exited;
  }

  /** SIGKILL of one of the agent's ffmpeg children, if it has one: its pid and command line. */
  async killChild(
    pick: (count: number) => number,
  ): Promise<{ pid: number; cmdline: string } | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    const children = await childrenOf(pid, "ffmpeg");
    const victim = children[pick(children.length)];
    if (victim === undefined) return undefined;
    const cmdline = await readFile(`/proc/${victim}/cmdline`, "utf8").catch(() => "");
    try {
      process.kill(victim, "SIGKILL");
    } catch {
      return undefined; // it ended on its own meanwhile
    }
    return { pid: victim, cmdline };
  }

  /** SIGTERM, and the exit code of the clean stop; no restart after it. */
  async stop(): Promise<number | null> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    clearInterval(this.#sampler);
    const child = this.#child;
    let code: number | null = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      [code] = (await exited) as [number | null];
    } else code = child?.exitCode ?? null;
    await new Promise<void>((resolve) => (this.#log ? this.#log.end(resolve) : resolve()));
    return code;
  }

  /** Makes sure nothing of the agent is left, whatever happened. */
  async destroy(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    clearInterval(this.#sampler);
    const pid = this.#child?.pid;
    if (pid !== undefined && this.#child?.exitCode === null) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.#log?.end();
  }

  #spawn(): void {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env };
    delete env.NOTIFY_SOCKET;
    if (this.#fakeTime) {
      env.LD_PRELOAD = this.#fakeTime;
      env.FAKETIME_TIMESTAMP_FILE = this.options.clockFile;
      env.FAKETIME_CACHE_DURATION = "1";
      // Timers and timeouts run on the monotonic clock, which a wall-clock jump does not move.
      env.FAKETIME_DONT_FAKE_MONOTONIC = "1";
    }
    const child = spawn(
      process.execPath,
      [
        ...(this.options.nodeArgs ?? []),
        this.options.mainJs,
        "run",
        "--config",
        this.options.config,
      ],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    this.#runs++;
    this.#startedAt = Date.now();
    this.#child = child;
    child.stdout?.pipe(this.#log ?? process.stderr, { end: false });
    child.stderr?.pipe(this.#log ?? process.stderr, { end: false });
    child.on("exit", (code, signal) => {
      this.exits.push({
        atMs: Date.now(),
        code,
        signal,
        injected: this.#injectedKill || this.#stopping,
      });
      this.#injectedKill = false;
      if (!this.#stopping)
        this.#restart = setTimeout(() => this.#spawn(), this.options.restartDelayMs);
    });
  }

  async #sampleRss(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const mib = await rssMiB(pid);
    if (mib === undefined) return;
    const now = Date.now();
    this.rss.push({
      atMs: now,
      run: this.#runs,
      sinceStartMs: now - this.#startedAt,
      mib,
    });
  }
}

export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}
