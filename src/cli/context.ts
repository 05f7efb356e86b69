import type { Writable } from "node:stream";
import type { Command } from "commander";
import { type Config, type LogConfig, loadConfigFile, resolveConfigPath } from "../config/index.js";
import { createLogger, type Logger } from "../log/index.js";

/** What a command may touch of the outside world; tests hand in their own. */
export interface CliContext {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Holds the exit code chosen by the command that ran. */
export interface CliOutcome {
  exitCode: number;
}

/**
 * Adapts a handler that returns its exit code to commander's void action; the code lands in
 * `outcome`, so commands never call process.exit and tests can run them in-process.
 */
export function exitWith<Args extends unknown[]>(
  outcome: CliOutcome,
  handler: (...args: Args) => number | Promise<number>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    outcome.exitCode = await handler(...args);
  };
}

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  logLevel?: LogConfig["level"];
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export async function loadCommandConfig(
  command: Command,
  ctx: CliContext,
): Promise<{ config: Config; file: string }> {
  const file = resolveConfigPath(globalOptions(command).config, ctx.env);
  return loadConfigFile(file, ctx.env);
}

/** CLI commands log to stderr so that stdout carries only their data. */
export function cliLogger(command: Command, ctx: CliContext, config?: Config): Logger {
  const level = globalOptions(command).logLevel ?? config?.log.level ?? "warn";
  return createLogger({ level, format: config?.log.format ?? "auto", destination: ctx.stderr });
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// C0 controls (tab and newline listed apart), DEL, C1 controls, and the bidirectional overrides
// that reorder what is shown.
const CONTROLS = "\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069";
const UNPRINTABLE = new RegExp(`[\\t\\n${CONTROLS}]`, "g");
const UNPRINTABLE_IN_LINES = new RegExp(`[${CONTROLS}]`, "g");
const SGR_OR_UNPRINTABLE = new RegExp(`\\u001B\\[[0-9;]*m|[${CONTROLS}]`, "g");

/**
 * Text a device (or anyone else) chose, made safe to print on a terminal: escape sequences and
 * other control characters are stripped, so a camera's name cannot clear the screen, move the
 * cursor or retitle the window.
 */
export function terminalSafe(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNPRINTABLE_IN_LINES : UNPRINTABLE, "");
}

/** terminalSafe applied to every string inside plain data (a report before it is rendered). */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === "string") return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => terminalSafeDeep(item)) as T;
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  )
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, terminalSafeDeep(item)]),
    ) as T;
  return value;
}

/**
 * Prints lines on stdout with control characters stripped (tabs and newlines kept). `colour`
 * keeps SGR colour sequences: only for lines whose untrusted parts went through terminalSafe.
 */
export function printLines(
  ctx: CliContext,
  lines: readonly string[],
  options: { colour?: boolean } = {},
): void {
  if (lines.length === 0) return;
  const text = lines.join("\n");
  const safe = options.colour
    ? text.replace(SGR_OR_UNPRINTABLE, (match) => (match.length > 1 ? match : ""))
    : terminalSafe(text, { multiline: true });
  ctx.stdout.write(`${safe}\n`);
}

/** Left-aligned columns sized to their widest cell; control characters in cells are stripped. */
export function formatTable(
  headers: readonly string[],
  rawRows: readonly (readonly string[])[],
): string[] {
  const rows = rawRows.map((row) => row.map((cell) => terminalSafe(cell)));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
