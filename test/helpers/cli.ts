import { type ChildProcess, spawn } from "node:child_process";
import { userInfo } from "node:os";
import { fileURLToPath } from "node:url";

export const MAIN_JS = fileURLToPath(new URL("../../src/main.js", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment without any CAMGATE_* variable of the caller, plus the given ones. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("CAMGATE_")) env[key] = value;
  }
  return { ...env, ...extra };
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the built CLI as a real process, as a technician would. */
export function runCamgate(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return collect(child);
}

/** Resolves with the first stdout line that satisfies `predicate`; rejects if the process ends first. */
export function waitForLine(
  child: ChildProcess,
  predicate: (line: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      const hit = lines.find(predicate);
      if (hit !== undefined) {
        child.stdout?.off("data", onData);
        child.off("close", onClose);
        resolve(hit);
      }
    };
    const onClose = (code: number | null) =>
      reject(new Error(`process ended (code ${code}) before the line`));
    child.stdout?.on("data", onData);
    child.once("close", onClose);
  });
}

/**
 * Runs the built CLI as a user without privileges, for permission cases: `nobody` when the tests
 * run as root (as in CI, where root reads everything and the case would not happen), else the
 * caller. Files the test makes must then be reachable by that user (mode 0755 directories).
 */
export async function runCamgateUnprivileged(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult & { user: string }> {
  const root = process.getuid?.() === 0;
  const command = root ? "runuser" : process.execPath;
  const prefix = root ? ["-u", "nobody", "--", process.execPath] : [];
  const child = spawn(command, [...prefix, MAIN_JS, ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return { ...(await collect(child)), user: root ? "nobody" : userInfo().username };
}
