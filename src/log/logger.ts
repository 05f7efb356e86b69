import { createRequire } from "node:module";
import type { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import type PinoPretty from "pino-pretty";
import type { LogConfig } from "../config/index.js";
import { redactJsonLine, redactText, redactValue } from "./redact.js";

export type { Logger } from "pino";

const require = createRequire(import.meta.url);

/** pino-pretty, loaded for a person at a terminal only: the daemon writes JSON lines for journald. */
function loadPretty(): typeof PinoPretty {
  return require("pino-pretty") as typeof PinoPretty;
}

export interface LoggerOptions {
  level: LogConfig["level"];
  format: LogConfig["format"];
  /** Where lines go; the daemon uses stdout, CLI commands stderr (stdout carries their data). */
  destination: Writable & { isTTY?: boolean; fd?: number };
  name?: string;
}

/**
 * A pino logger whose every record (message, fields, errors) is redacted before it is written.
 * JSON lines by default; pino-pretty when the format asks for it or "auto" meets a TTY.
 */
export function createLogger(options: LoggerOptions): Logger {
  const usePretty =
    options.format === "pretty" ||
    (options.format === "auto" && options.destination.isTTY === true);
  const stream = usePretty
    ? loadPretty()({
        destination: options.destination,
        colorize: true,
        sync: true,
        ignore: "pid,hostname",
      })
    : options.destination;
  return pino(
    {
      name: options.name ?? "camgate",
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: (error: unknown) => redactValue(error) },
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => redactValue(record) as Record<string, unknown>,
      },
      hooks: {
        streamWrite: redactJsonLine,
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
}

/** A logger that drops everything, for code paths and tests that need one but print nothing. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
