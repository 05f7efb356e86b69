import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ScriptRun {
  dir: string;
  /** Aborts on Ctrl-C or SIGTERM: the run stops what it started and returns. */
  signal: AbortSignal;
  /** Prints a line stamped with the seconds since the start. */
  log: (line: string) => void;
}

/**
 * The frame of a long-running script (the soaks): its directory (a fresh temporary one unless
 * given), Ctrl-C and SIGTERM as an abort, stamped lines, exit code 130 when interrupted, and
 * the directory removed at the end unless kept. `body` returns the exit code.
 */
export async function runScript(
  options: { name: string; dir: string | undefined; keep: boolean },
  body: (run: ScriptRun) => Promise<number>,
): Promise<void> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `camgate-${options.name}-`)));
  const started = Date.now();
  const interrupted = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => interrupted.abort());
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s]`;
  try {
    process.exitCode = await body({
      dir,
      signal: interrupted.signal,
      log: (line) => console.log(`${stamp()} ${line}`),
    });
  } catch (error) {
    if (!interrupted.signal.aborted) throw error;
    console.log(`${stamp()} interrupted: everything the ${options.name} started is stopped`);
    process.exitCode = 130;
  } finally {
    if (options.keep) console.log(`kept: ${dir}`);
    else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
