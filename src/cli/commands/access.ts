import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { withStore } from "../camera-access.js";
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

export function registerAccessCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const access = program
    .command("access")
    .description("the hash-chained access log: who released or held which video, and why");

  access
    .command("list")
    .description("the newest entries of the access log")
    .option("--limit <n>", "how many entries", (value) => Number.parseInt(value, 10), 50)
    .action(
      exitWith(outcome, async (options: { limit: number }, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        return withStore(config, cliLogger(command, ctx, config), (repos) => {
          const limit = Number.isFinite(options.limit) && options.limit > 0 ? options.limit : 50;
          const entries = repos.accessLog.list(Math.min(limit, 100_000));
          if (globalOptions(command).json) {
            printJson(
              ctx,
              entries.map((entry) => ({ ...entry, ts: new Date(entry.tsMs).toISOString() })),
            );
            return ExitCode.ok;
          }
          printLines(
            ctx,
            formatTable(
              ["seq", "time", "actor", "action", "target", "result", "purpose"],
              entries.map((entry) => [
                String(entry.seq),
                new Date(entry.tsMs).toISOString(),
                entry.actor,
                entry.action,
                entry.target,
                entry.result,
                entry.purpose ?? "",
              ]),
            ),
          );
          return ExitCode.ok;
        });
      }),
    );

  access
    .command("verify")
    .description("check the chain; exits 1 and names the first broken entry if it was altered")
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        return withStore(config, cliLogger(command, ctx, config), (repos) => {
          const verdict = repos.accessLog.verify();
          if (globalOptions(command).json) printJson(ctx, verdict);
          else if (verdict.ok)
            printLines(ctx, [
              `access log intact: ${verdict.checked} entries, head ${verdict.headHash}`,
            ]);
          else
            printLines(ctx, [
              `access log BROKEN at entry ${verdict.brokenAtSeq}: ${verdict.reason} ` +
                `(${verdict.checked} entries before it check out)`,
            ]);
          return verdict.ok ? ExitCode.ok : ExitCode.failure;
        });
      }),
    );
}
