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

export function printLines(ctx: CliContext, lines: readonly string[]): void {
  if (lines.length > 0) ctx.stdout.write(`${lines.join("\n")}\n`);
}

/** Left-aligned columns sized to their widest cell. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
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
