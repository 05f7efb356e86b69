import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { parseDuration } from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import { formatDateTime } from "../../i18n/index.js";
import type { EventRecord, Repositories } from "../../store/index.js";
import { resolveCamera, withStore } from "../camera-access.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  globalOptions,
  loadCommandConfig,
  printLines,
} from "../context.js";

/** How often the events table is read again while following. */
export const TAIL_POLL_MS = 500;
/** Rows read per poll: a burst is printed over several polls, never held in memory at once. */
const TAIL_BATCH = 200;
const MAX_LINES = 1000;

interface TailOptions {
  camera?: string;
  kind?: string;
  lines?: string;
  count?: string;
  for?: string;
}

function wholeNumber(value: string | undefined, flag: string, fallback: number, max: number) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > max)
    throw new CamgateError(`${flag}: a whole number from 0 to ${max}`, {
      exitCode: ExitCode.usage,
    });
  return number;
}

function durationOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new CamgateError(`--for: a duration such as 30s, 5m or 2h`, {
      exitCode: ExitCode.usage,
    });
  return ms;
}

/** One line per event: site time, camera, kind, phase, duration, what it was. */
function eventLine(event: EventRecord, timeZone: string): string {
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const duration = event.detail["durationMs"];
  return [
    formatDateTime(event.tsMs, timeZone),
    event.cameraId ?? "-",
    event.kind,
    text(event.detail["phase"]) || "-",
    typeof duration === "number" ? `${(duration / 1000).toFixed(1)}s` : "-",
    text(event.detail["topic"]) || text(event.detail["reason"]) || text(event.detail["error"]),
  ].join("  ");
}

function jsonLine(event: EventRecord): string {
  return JSON.stringify({
    id: event.id,
    ts: new Date(event.tsMs).toISOString(),
    cameraId: event.cameraId,
    kind: event.kind,
    detail: event.detail,
  });
}

/** Resolves when SIGINT or SIGTERM comes (Ctrl-C), or when `signal` aborts. */
function interrupted(controller: AbortController): () => void {
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/**
 * Prints the last `--lines` events, then every new one as the agent stores it, until Ctrl-C,
 * `--count` events or `--for` has passed; the store is read in batches, so a burst costs no
 * more memory than a quiet hour.
 */
async function follow(
  repos: Repositories,
  filter: { cameraId?: string; kind?: string },
  limits: { lines: number; count: number | undefined; untilMs: number | undefined },
  print: (event: EventRecord) => void,
  signal: AbortSignal,
): Promise<void> {
  const wanted = (event: EventRecord) =>
    (filter.cameraId === undefined || event.cameraId === filter.cameraId) &&
    (filter.kind === undefined || event.kind === filter.kind);
  let cursor = repos.events.lastId();
  const recent = repos.events.list({ ...filter, limit: Math.max(1, limits.lines) });
  if (limits.lines > 0) for (const event of recent.reverse()) print(event);
  let printed = 0;
  while (!signal.aborted) {
    const batch = repos.events.after(cursor, TAIL_BATCH);
    for (const event of batch) {
      cursor = event.id;
      if (!wanted(event)) continue;
      print(event);
      if (limits.count !== undefined && ++printed >= limits.count) return;
    }
    if (limits.untilMs !== undefined && Date.now() >= limits.untilMs) return;
    if (batch.length < TAIL_BATCH)
      await sleep(TAIL_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

export function registerEventTail(events: Command, ctx: CliContext, outcome: CliOutcome): void {
  events
    .command("tail")
    .description("the last events, then each new one as it is stored, until Ctrl-C")
    .option("--camera <id>", "only this camera (id or address)")
    .option("--kind <kind>", "only this kind (motion, tamper, intrusion, line-crossing, ...)")
    .option("--lines <n>", "how many of the last events to show first (default 10)")
    .option("--count <n>", "stop after this many new events")
    .option("--for <duration>", "stop after this long (30s, 5m, 2h)")
    .action(
      exitWith(outcome, async (options: TailOptions, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        const lines = wholeNumber(options.lines, "--lines", 10, MAX_LINES);
        const count =
          options.count === undefined
            ? undefined
            : Math.max(1, wholeNumber(options.count, "--count", 1, Number.MAX_SAFE_INTEGER));
        const forMs = durationOption(options.for);
        const json = globalOptions(command).json === true;
        const print = (event: EventRecord) =>
          json
            ? ctx.stdout.write(`${jsonLine(event)}\n`)
            : printLines(ctx, [eventLine(event, config.site.timezone)]);
        const controller = new AbortController();
        const release = interrupted(controller);
        try {
          await withStore(config, cliLogger(command, ctx, config), (repos) =>
            follow(
              repos,
              {
                ...(options.camera ? { cameraId: resolveCamera(repos, options.camera) } : {}),
                ...(options.kind ? { kind: options.kind } : {}),
              },
              { lines, count, untilMs: forMs === undefined ? undefined : Date.now() + forMs },
              print,
              controller.signal,
            ),
          );
        } finally {
          release();
        }
        return ExitCode.ok;
      }),
    );
}
