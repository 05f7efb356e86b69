import { inspect } from "node:util";

/** Process exit codes shared by every command (DESIGN.md section 10). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auditFailed: 3,
  config: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Base of every error camgate raises on purpose. `exitCode` tells the CLI how to end;
 * `cause` keeps the underlying error so nothing is lost when it is reported.
 */
export class CamgateError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, options: { cause?: unknown; exitCode?: ExitCode } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** One line per error in the cause chain, for messages shown to a person. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      // A wrapper that already quotes its cause's message says it once.
      const repeated = lines.some((line) =>
        line.includes(current instanceof Error ? current.message : ""),
      );
      if (!repeated) lines.push(depth === 0 ? current.message : `caused by: ${current.message}`);
      current = current.cause;
    } else {
      const text = inspect(current, { depth: 2, breakLength: Infinity });
      lines.push(depth === 0 ? text : `caused by: ${text}`);
      break;
    }
  }
  return lines.join("\n");
}
