import { userInfo } from "node:os";
import type { Command } from "commander";
import { type Config, formatBytes } from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import { formatDateTime, parseLocalTime, utcOffset } from "../../i18n/index.js";
import {
  exportRange,
  findGaps,
  GAP_TOLERANCE_MS,
  locateFfmpeg,
  locateFfprobe,
} from "../../recorder/index.js";
import { lockRecordings, quotaBytes, readDisk } from "../../retention/index.js";
import type { Repositories, SegmentMedia } from "../../store/index.js";
import { resolveCamera, withStore } from "../camera-access.js";
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

const LIST_LIMIT = 10_000;

/** A time as the technician typed it, in the site's zone (see parseLocalTime). */
function parseTime(value: string, flag: string, timeZone: string): number {
  const ms = parseLocalTime(value, timeZone);
  if (ms === undefined)
    throw new CamgateError(
      `${flag}: not a time: ${value} (in ${timeZone}: 16:08 for today, 2026-11-23 08:00, or ISO 8601 with an offset)`,
      { exitCode: ExitCode.usage },
    );
  return ms;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** "h264 1920x1080", "+ aac" when audio is stored; "?" when the segment was never probed. */
function mediaCell(segment: SegmentMedia): string {
  if (segment.videoCodec === null) return "?";
  const size =
    segment.width !== null && segment.height !== null ? ` ${segment.width}x${segment.height}` : "";
  return `${segment.videoCodec}${size}${segment.audioCodec ? ` + ${segment.audioCodec}` : ""}`;
}

/** Loads the command's config and runs `work` with the store open. */
async function withRecordings<T>(
  command: Command,
  ctx: CliContext,
  work: (repos: Repositories, config: Config) => Promise<T> | T,
): Promise<T> {
  const { config } = await loadCommandConfig(command, ctx);
  return withStore(config, cliLogger(command, ctx, config), (repos) => work(repos, config));
}

function actor(): string {
  return `cli:${userInfo().username}`;
}

const EXPORT_REQUIRED = [
  ["camera", "--camera <id>"],
  ["from", "--from <time>"],
  ["to", "--to <time>"],
  ["output", "--output <file>"],
] as const;

function requireOptions(
  name: string,
  command: Command,
  required: readonly (readonly [string, string])[],
): void {
  const given = command.opts<Record<string, unknown>>();
  const missing = required.filter(([key]) => given[key] === undefined).map(([, flag]) => flag);
  if (missing.length > 0)
    throw new CamgateError(`${name} is missing ${missing.join(", ")}`, {
      exitCode: ExitCode.usage,
    });
}

export function registerRecordingCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const recordings = program
    .command("recordings")
    .description("recorded video: list, export, lock, stats");

  recordings
    .command("list")
    .description("a camera's recorded segments and the gaps between them")
    .requiredOption("--camera <id>", "camera id or address")
    .option("--from <time>", "start of the range, site time (16:08, 2026-11-23 08:00) or ISO 8601")
    .option("--to <time>", "end of the range, site time or ISO 8601")
    .action(
      exitWith(
        outcome,
        async (options: { camera: string; from?: string; to?: string }, command: Command) =>
          withRecordings(command, ctx, (repos, config) => {
            const camera = resolveCamera(repos, options.camera);
            const fromMs = options.from
              ? parseTime(options.from, "--from", config.site.timezone)
              : 0;
            const toMs = options.to
              ? parseTime(options.to, "--to", config.site.timezone)
              : Number.MAX_SAFE_INTEGER;
            const segments = repos.segments.overlapping(camera, fromMs, toMs, LIST_LIMIT);
            const range = {
              fromMs: options.from ? fromMs : (segments[0]?.startMs ?? fromMs),
              toMs: options.to ? toMs : (segments.at(-1)?.endMs ?? fromMs),
            };
            const gaps = findGaps(segments, range);
            const events = repos.eventWindows.eventCounts(segments.map((s) => s.id));
            if (globalOptions(command).json) {
              printJson(ctx, {
                camera,
                from: iso(range.fromMs),
                to: iso(range.toMs),
                segments: segments.map((s) => ({
                  id: s.id,
                  start: iso(s.startMs),
                  end: iso(s.endMs),
                  bytes: s.bytes,
                  sha256: s.sha256,
                  state: s.state,
                  lockedUntil: s.lockedUntilMs === null ? null : iso(s.lockedUntilMs),
                  codec: s.videoCodec,
                  width: s.width,
                  height: s.height,
                  audio: s.audioCodec,
                  path: s.path,
                  events: events.get(s.id) ?? 0,
                })),
                gaps: gaps.map((g) => ({
                  from: iso(g.fromMs),
                  to: iso(g.toMs),
                  seconds: (g.toMs - g.fromMs) / 1000,
                })),
              });
              return ExitCode.ok;
            }
            const local = (ms: number) => formatDateTime(ms, config.site.timezone);
            const rows = [
              ...segments.map((s) => ({
                at: s.startMs,
                row: [
                  local(s.startMs),
                  local(s.endMs),
                  ((s.endMs - s.startMs) / 1000).toFixed(1),
                  formatBytes(s.bytes),
                  mediaCell(s),
                  s.state,
                  s.lockedUntilMs && s.lockedUntilMs > Date.now()
                    ? `until ${local(s.lockedUntilMs)}`
                    : "",
                  String(events.get(s.id) ?? ""),
                ],
              })),
              ...gaps.map((g) => ({
                at: g.fromMs,
                row: [
                  local(g.fromMs),
                  local(g.toMs),
                  ((g.toMs - g.fromMs) / 1000).toFixed(1),
                  "",
                  "",
                  "GAP",
                  "",
                  "",
                ],
              })),
            ].sort((a, b) => a.at - b.at);
            printLines(
              ctx,
              formatTable(
                [
                  `START (UTC${utcOffset(Date.now(), config.site.timezone)})`,
                  "END",
                  "SECONDS",
                  "SIZE",
                  "VIDEO",
                  "STATE",
                  "LOCKED",
                  "EVENTS",
                ],
                rows.map((r) => r.row),
              ),
            );
            printLines(ctx, [`${segments.length} segments, ${gaps.length} gaps`]);
            return ExitCode.ok;
          }),
      ),
    );

  recordings
    .command("export")
    .description(
      "join a camera's segments over a range into MP4 (one file per codec and picture size), with a JSON sidecar of parts, gaps and sources",
    )
    .option("--camera <id>", "camera id or address (required)")
    .option("--from <time>", "start, site time (16:08, 2026-11-23 08:00) or ISO 8601 (required)")
    .option("--to <time>", "end, ISO 8601 (required)")
    .option("-o, --output <file>", "MP4 file to write (required)")
    .option("--purpose <text>", "why the video is released (kept in the access log)")
    // Every missing option at once: commander's requiredOption names one per run.
    .hook("preAction", (command) => requireOptions("recordings export", command, EXPORT_REQUIRED))
    .action(
      exitWith(
        outcome,
        async (
          options: { camera: string; from: string; to: string; output: string; purpose?: string },
          command: Command,
        ) =>
          withRecordings(command, ctx, async (repos, config) => {
            const camera = resolveCamera(repos, options.camera);
            const fromMs = parseTime(options.from, "--from", config.site.timezone);
            const toMs = parseTime(options.to, "--to", config.site.timezone);
            const ffmpeg = await locateFfmpeg({
              configured: config.recorder.ffmpegPath,
              env: ctx.env,
            });
            const entry = {
              tsMs: Date.now(),
              actor: actor(),
              action: "recordings.export",
              target: camera,
              purpose: options.purpose ?? null,
            };
            try {
              const result = await exportRange(repos.segments, {
                ffmpeg: ffmpeg.path,
                ffprobe: await locateFfprobe(ffmpeg.path, ctx.env),
                cameraId: camera,
                fromMs,
                toMs,
                output: options.output,
              });
              repos.accessLog.append({
                ...entry,
                result: "ok",
                detail: {
                  from: result.from,
                  to: result.to,
                  outputs: result.parts.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
                  segments: result.segments.length,
                },
              });
              if (globalOptions(command).json) printJson(ctx, result);
              else
                printLines(ctx, [
                  ...result.parts.map(
                    (part) =>
                      `wrote ${part.path} (${formatBytes(part.bytes)}, ${part.media.codec} ${part.media.tag ?? ""} ${part.media.width ?? "?"}x${part.media.height ?? "?"}${part.media.audio ? ` + ${part.media.audio}` : ""}, ${part.durationSec.toFixed(1)} s of video from ${part.segments.length} segments, ${part.from} to ${part.to})`,
                  ),
                  ...(result.gaps.length > 0
                    ? [
                        `${result.gaps.length} gaps in the recording (${result.gaps.reduce((sum, gap) => sum + gap.seconds, 0).toFixed(1)} s), kept in the video's timeline and listed in the sidecar`,
                      ]
                    : []),
                  `sources, parts and gaps with SHA-256: ${options.output}.json`,
                ]);
              return ExitCode.ok;
            } catch (error) {
              repos.accessLog.append({
                ...entry,
                result: "error",
                detail: { from: iso(fromMs), to: iso(toMs), error: (error as Error).message },
              });
              throw error;
            }
          }),
      ),
    );

  recordings
    .command("lock")
    .description("hold a camera's segments over a range against eviction (evidence)")
    .requiredOption("--camera <id>", "camera id or address")
    .requiredOption("--from <time>", "start, site time or ISO 8601")
    .requiredOption("--to <time>", "end (ISO 8601)")
    .requiredOption("--until <time>", "when the hold ends (ISO 8601)")
    .option("--reason <text>", "why (kept in the access log)")
    .action(
      exitWith(
        outcome,
        async (
          options: { camera: string; from: string; to: string; until: string; reason?: string },
          command: Command,
        ) =>
          withRecordings(command, ctx, (repos, config) => {
            const camera = resolveCamera(repos, options.camera);
            const request = {
              cameraId: camera,
              fromMs: parseTime(options.from, "--from", config.site.timezone),
              toMs: parseTime(options.to, "--to", config.site.timezone),
              untilMs: parseTime(options.until, "--until", config.site.timezone),
            };
            const now = Date.now();
            const entry = {
              tsMs: now,
              actor: actor(),
              action: "recordings.lock",
              target: camera,
              purpose: options.reason ?? null,
            };
            const detail = {
              from: iso(request.fromMs),
              to: iso(request.toMs),
              until: iso(request.untilMs),
            };
            try {
              const result = lockRecordings(repos.segments, config.storage, request, { now });
              repos.accessLog.append({ ...entry, result: "ok", detail: { ...detail, ...result } });
              if (globalOptions(command).json) printJson(ctx, { ...detail, ...result });
              else
                printLines(ctx, [
                  `locked ${result.segments} segments of ${camera} until ${detail.until}`,
                ]);
              return ExitCode.ok;
            } catch (error) {
              repos.accessLog.append({
                ...entry,
                result: "refused",
                detail: { ...detail, error: (error as Error).message },
              });
              throw error;
            }
          }),
      ),
    );

  recordings
    .command("unlock")
    .description("release the holds on a camera's segments over a range")
    .requiredOption("--camera <id>", "camera id or address")
    .requiredOption("--from <time>", "start, site time or ISO 8601")
    .requiredOption("--to <time>", "end (ISO 8601)")
    .option("--reason <text>", "why (kept in the access log)")
    .action(
      exitWith(
        outcome,
        async (
          options: { camera: string; from: string; to: string; reason?: string },
          command: Command,
        ) =>
          withRecordings(command, ctx, (repos, config) => {
            const camera = resolveCamera(repos, options.camera);
            const fromMs = parseTime(options.from, "--from", config.site.timezone);
            const toMs = parseTime(options.to, "--to", config.site.timezone);
            const released = repos.segments.unlock(camera, fromMs, toMs);
            repos.accessLog.append({
              tsMs: Date.now(),
              actor: actor(),
              action: "recordings.unlock",
              target: camera,
              purpose: options.reason ?? null,
              result: "ok",
              detail: { from: iso(fromMs), to: iso(toMs), segments: released },
            });
            if (globalOptions(command).json) printJson(ctx, { segments: released });
            else printLines(ctx, [`released ${released} segments of ${camera}`]);
            return ExitCode.ok;
          }),
      ),
    );

  recordings
    .command("stats")
    .description("per camera: bytes, hours, oldest, newest, gaps, evictions; and the quota")
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) =>
        withRecordings(command, ctx, (repos, config) => {
          const usage = repos.segments.usage();
          const countOf = (cameraId: string, state: string) =>
            usage.find((u) => u.cameraId === cameraId && u.state === state)?.segments ?? 0;
          const cameras = repos.segments.cameraStats(GAP_TOLERANCE_MS).map((s) => ({
            camera: s.cameraId,
            segments: s.segments,
            bytes: s.bytes,
            hours: Number((s.durationMs / 3_600_000).toFixed(2)),
            oldest: iso(s.oldestMs),
            newest: iso(s.newestMs),
            gaps: s.gaps,
            evicted: countOf(s.cameraId, "evicted"),
            lost: countOf(s.cameraId, "lost"),
          }));
          const disk = (() => {
            try {
              return readDisk(config.storage.dir);
            } catch {
              return undefined;
            }
          })();
          const storedBytes = repos.segments.storedBytes();
          const storage = {
            dir: config.storage.dir,
            storedBytes,
            lockedBytes: repos.segments.lockedBytes(Date.now()),
            quotaBytes: disk ? quotaBytes(config.storage, disk) : null,
            freeBytes: disk?.freeBytes ?? null,
          };
          if (globalOptions(command).json) {
            printJson(ctx, { storage, cameras });
            return ExitCode.ok;
          }
          printLines(
            ctx,
            formatTable(
              [
                "CAMERA",
                "SEGMENTS",
                "SIZE",
                "HOURS",
                "OLDEST",
                "NEWEST",
                "GAPS",
                "EVICTED",
                "LOST",
              ],
              cameras.map((c) => [
                c.camera,
                String(c.segments),
                formatBytes(c.bytes),
                c.hours.toFixed(2),
                c.oldest,
                c.newest,
                String(c.gaps),
                String(c.evicted),
                String(c.lost),
              ]),
            ),
          );
          printLines(ctx, [
            `storage ${storage.dir}: ${formatBytes(storedBytes)} of ${storage.quotaBytes === null ? "?" : formatBytes(storage.quotaBytes)} quota, ${formatBytes(storage.lockedBytes)} locked, ${storage.freeBytes === null ? "?" : formatBytes(storage.freeBytes)} free`,
          ]);
          return ExitCode.ok;
        }),
      ),
    );
}
