import type { Command } from "commander";
import {
  type Config,
  ConfigError,
  type ConfigIssue,
  configJsonSchema,
  envOverrideTable,
  formatBytes,
} from "../../config/index.js";
import { describeError, ExitCode } from "../../errors.js";
import { locateFfmpeg } from "../../recorder/index.js";
import { whyUnreadable } from "../../util/file-access.js";
import { writeFileAtomic } from "../../util/files.js";
import {
  type CliContext,
  type CliOutcome,
  exitWith,
  formatTable,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

/** The uplink's CA, certificate and key must be there and readable, or the agent cannot connect. */
async function checkUplinkFiles(config: Config, file: string): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const key of ["ca", "cert", "key"] as const) {
    const path = config.uplink[key];
    const problem = path === undefined ? undefined : await whyUnreadable(path);
    if (problem)
      issues.push({ path: `uplink.${key}`, message: problem, source: { kind: "file", file } });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

export function registerConfigCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const config = program.command("config").description("validate and describe the configuration");

  config
    .command("check")
    .description("validate a configuration file (and CAMGATE_* overrides); exit 78 if invalid")
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const { json } = globalOptions(command);
        try {
          const { config: loaded, file } = await loadCommandConfig(command, ctx);
          await checkUplinkFiles(loaded, file);
          if (json) {
            printJson(ctx, { ok: true, file, config: loaded });
            return ExitCode.ok;
          }
          const { storage, uplink, site } = loaded;
          const ffmpeg = await locateFfmpeg({
            configured: loaded.recorder.ffmpegPath,
            env: ctx.env,
          }).then(
            (found) => `${found.path} (from ${found.source})`,
            (error: unknown) => `not usable: ${describeError(error)}`,
          );
          const quota = storage.maxBytes === undefined ? "-" : formatBytes(storage.maxBytes);
          printLines(ctx, [
            `${file}: ok`,
            `  site     ${site.id}${site.name ? ` (${site.name})` : ""}`,
            `  storage  ${storage.dir}, at most ${quota} and ${storage.maxPercent}% of the filesystem, ${storage.segmentSeconds} s segments`,
            `  ffmpeg   ${ffmpeg}`,
            `  uplink   ${uplink.brokers.length === 0 ? "disabled (no brokers)" : uplink.brokers.join(", ")}`,
          ]);
          return ExitCode.ok;
        } catch (error) {
          if (!(error instanceof ConfigError) || !json) throw error;
          printJson(ctx, { ok: false, issues: error.issues });
          return ExitCode.config;
        }
      }),
    );

  config
    .command("schema")
    .description("print the JSON Schema of camgate.yaml (for editors)")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action(
      exitWith(outcome, async (options: { output?: string }) => {
        const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
        if (options.output) await writeFileAtomic(options.output, text);
        else ctx.stdout.write(text);
        return ExitCode.ok;
      }),
    );

  config
    .command("env")
    .description("list the CAMGATE_* variables that override single keys")
    .action(
      exitWith(outcome, (_options: unknown, command: Command) => {
        const rows = [...envOverrideTable()].map(([name, leaf]) => ({
          name,
          key: leaf.path.join("."),
        }));
        if (globalOptions(command).json) printJson(ctx, rows);
        else
          printLines(
            ctx,
            formatTable(
              ["VARIABLE", "KEY"],
              rows.map((row) => [row.name, row.key]),
            ),
          );
        return ExitCode.ok;
      }),
    );
}
