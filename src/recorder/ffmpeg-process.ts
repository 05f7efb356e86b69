import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";

const MAX_LINE = 2048;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopDeadlines {
  /** After writing 'q': time for ffmpeg to close the segment it writes. */
  quitMs: number;
  /** After SIGTERM, before SIGKILL. */
  termMs: number;
}

/** Calls `onLine` per line of `stream`; a line longer than MAX_LINE is cut, never buffered whole. */
function splitLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.search(/[\r\n]/);
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      if (line.length > 0) onLine(line.slice(0, MAX_LINE));
      pending = pending.slice(newline + 1);
      newline = pending.search(/[\r\n]/);
    }
    if (pending.length > MAX_LINE) {
      onLine(pending.slice(0, MAX_LINE));
      pending = "";
    }
  });
  stream.on("end", () => {
    if (pending.length > 0) onLine(pending.slice(0, MAX_LINE));
  });
}

/** The last few lines of a stream, for diagnostics when a process ends badly. */
export class LineRing {
  readonly #lines: string[] = [];

  constructor(private readonly capacity: number) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.capacity) this.#lines.shift();
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  get last(): string | undefined {
    return this.#lines.at(-1);
  }
}

/**
 * One ffmpeg child: arguments as an array (no shell), stdout and stderr read line by line. The
 * process ends on its own, or by stop(): 'q' on stdin, then SIGTERM, then SIGKILL.
 */
export class FfmpegProcess {
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  #exit: ProcessExit | undefined;

  /**
   * `stdout` as a function gets the output line by line; "raw" leaves the byte stream to the
   * caller (`output`), for ffmpeg writing media to a pipe.
   */
  constructor(
    binary: string,
    args: readonly string[],
    handlers: { stdout: ((line: string) => void) | "raw"; stderr: (line: string) => void },
  ) {
    this.#child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"], shell: false });
    // A failed spawn (ENOENT, EMFILE) is reported as an exit, like a process that died at once.
    const spawnError = once(this.#child, "error").then(([error]) => {
      handlers.stderr(`cannot start ffmpeg: ${(error as Error).message}`);
      return { code: -1, signal: null } satisfies ProcessExit;
    });
    const closed = once(this.#child, "close").then((args): ProcessExit => {
      const [code, signal] = args as [number | null, NodeJS.Signals | null];
      return { code, signal };
    });
    this.exited = Promise.race([closed, spawnError]).then((exit) => {
      this.#exit = exit;
      return exit;
    });
    this.#child.stdin?.on("error", () => undefined);
    if (this.#child.stdout && handlers.stdout !== "raw")
      splitLines(this.#child.stdout, handlers.stdout);
    if (this.#child.stderr) splitLines(this.#child.stderr, handlers.stderr);
  }

  /** The process's standard output, for a caller that asked for it raw. */
  get output(): Readable | null {
    return this.#child.stdout;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Ends the process, each step only if the one before did not within its deadline. */
  async stop(deadlines: StopDeadlines): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.#child.stdin?.end("q");
    if (await this.#exitsWithin(deadlines.quitMs)) return this.exited;
    this.#child.kill("SIGTERM");
    if (await this.#exitsWithin(deadlines.termMs)) return this.exited;
    this.#child.kill("SIGKILL");
    return this.exited;
  }

  /** Kills at once (a stalled stream: nothing worth closing cleanly). */
  kill(): void {
    if (this.running) this.#child.kill("SIGKILL");
  }

  async #exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }
}
