import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import { formatDateTime, parseLocalTime, utcOffset } from "../../i18n/index.js";
import type { EventRecord } from "../../store/index.js";
import { resolveCamera, withStore } from "../camera-access.js";
import { registerEventTail } from "./events-tail.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  formatTable,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;

interface ListOptions {
  camera?: string;
  kind?: string;
  from?: string;
  to?: string;
  limit?: string;
}

function timeOption(value: string | undefined, flag: string, timeZone: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseLocalTime(value, timeZone);
  if (ms === undefined)
    throw new CamgateError(
      `${flag}: not a time: ${value} (in ${timeZone}: 16:08 for today, 2026-11-23 08:00, or ISO 8601 with an offset)`,
      { exitCode: ExitCode.usage },
    );
  return ms;
}

function limitOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new CamgateError(`--limit: a whole number from 1 to ${MAX_LIMIT}`, {
      exitCode: ExitCode.usage,
    });
  return limit;
}

/** What a person needs at a glance: a camera event's phase and duration, else its reason. */
function summary(event: EventRecord): { phase: string; seconds: string; what: string } {
  const { detail } = event;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const duration = detail["durationMs"];
  return {
    phase: text(detail["phase"]),
    seconds: typeof duration === "number" ? (duration / 1000).toFixed(1) : "",
    what: text(detail["topic"]) || text(detail["reason"]) || text(detail["error"]),
  };
}

export function registerEventCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const events = program
    .command("events")
    .description("what the box and its cameras reported: motion, tamper, intrusion, faults");

  events
    .command("list")
    .description("stored events, oldest first (the newest --limit of the range)")
    .option("--camera <id>", "only this camera (id or address)")
    .option("--kind <kind>", "only this kind (motion, tamper, intrusion, line-crossing, ...)")
    .option("--from <time>", "start of the range, site time (16:08, 2026-11-23 08:00) or ISO 8601")
    .option("--to <time>", "end of the range, site time or ISO 8601")
    .option("--limit <n>", `at most this many events (default ${DEFAULT_LIMIT})`)
    .action(
      exitWith(outcome, async (options: ListOptions, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        const timeZone = config.site.timezone;
        const sinceMs = timeOption(options.from, "--from", timeZone);
        const untilMs = timeOption(options.to, "--to", timeZone);
        const limit = limitOption(options.limit);
        const found = await withStore(config, cliLogger(command, ctx, config), (repos) =>
          repos.events
            .list({
              ...(options.camera ? { cameraId: resolveCamera(repos, options.camera) } : {}),
              ...(options.kind ? { kind: options.kind } : {}),
              ...(sinceMs === undefined ? {} : { sinceMs }),
              ...(untilMs === undefined ? {} : { untilMs }),
              limit,
            })
            .reverse(),
        );
        if (globalOptions(command).json) {
          printJson(
            ctx,
            found.map((event) => ({
              id: event.id,
              ts: new Date(event.tsMs).toISOString(),
              cameraId: event.cameraId,
              kind: event.kind,
              detail: event.detail,
            })),
          );
          return ExitCode.ok;
        }
        const rows = found.map((event) => {
          const { phase, seconds, what } = summary(event);
          return [
            formatDateTime(event.tsMs, timeZone),
            event.cameraId ?? "-",
            event.kind,
            phase,
            seconds,
            what,
          ];
        });
        printLines(
          ctx,
          formatTable(
            [
              `TIME (UTC${utcOffset(Date.now(), timeZone)})`,
              "CAMERA",
              "KIND",
              "PHASE",
              "SECONDS",
              "WHAT",
            ],
            rows,
          ),
        );
        printLines(ctx, [`${found.length} events`]);
        return ExitCode.ok;
      }),
    );
  registerEventTail(events, ctx, outcome);
}
