import type { Command } from "commander";
import { Center, type CenterSummary, centerConfigSchema } from "../../center/index.js";
import { loadYamlFile } from "../../config/index.js";
import { ComponentGroup, runUntilSignal } from "../../lifecycle/index.js";
import { createLogger } from "../../log/index.js";
import {
  type CliContext,
  type CliOutcome,
  exitWith,
  formatTable,
  globalOptions,
} from "../context.js";

export const DEFAULT_CENTER_CONFIG = "/etc/camgate/center.yaml";
const SUMMARY_EVERY_MS = 5000;
const STOP_TIMEOUT_MS = 10_000;

function summaryLines(summary: CenterSummary): string[] {
  const { video } = summary;
  const rows = Object.entries(summary.sites).map(([site, figures]) => [
    site,
    figures.online ? "online" : "offline",
    String(figures.messages),
    String(figures.duplicates),
    figures.lastSeen,
  ]);
  return [
    ...formatTable(["SITE", "STATUS", "KEPT", "DUPLICATES", "LAST MESSAGE"], rows),
    `refused: ${summary.refused}`,
    `video: ${video.chunks} chunks kept, ${video.segments} segments finished here ` +
      `(${video.verified} verified), ${video.duplicates} chunks again, ` +
      `${video.incomplete} transfers open`,
    ...(summary.failed > 0 ? [`not kept, to come again: ${summary.failed}`] : []),
  ];
}

export function registerCenterCommand(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("center")
    .description(
      "run the reference commune-center receiver (default config /etc/camgate/center.yaml)",
    )
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const file = globalOptions(command).config ?? DEFAULT_CENTER_CONFIG;
        const config = await loadYamlFile(centerConfigSchema, file);
        const logger = createLogger({
          level: globalOptions(command).logLevel ?? "info",
          format: "auto",
          destination: ctx.stderr,
        });
        const center = new Center({ config, logger: logger.child({ component: "center" }) });
        // A live summary on a terminal; piped output stays quiet (the log says what happens).
        const timer = ctx.stdout.isTTY
          ? setInterval(() => {
              ctx.stdout.write(`\x1b[2J\x1b[H${summaryLines(center.summary()).join("\n")}\n`);
            }, SUMMARY_EVERY_MS)
          : undefined;
        try {
          const group = new ComponentGroup([center], logger);
          return await runUntilSignal(
            { start: (signal) => group.start(signal), stop: () => group.stop(STOP_TIMEOUT_MS) },
            logger,
          );
        } finally {
          clearInterval(timer);
          ctx.stdout.write(`${summaryLines(center.summary()).join("\n")}\n`);
        }
      }),
    );
}
