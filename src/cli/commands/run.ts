import type { Command } from "commander";
import { Agent } from "../../agent.js";
import { loadConfigFile } from "../../config/index.js";
import { runUntilSignal } from "../../lifecycle/index.js";
import { createLogger } from "../../log/index.js";
import { assertPrivateFiles } from "../../pki/index.js";
import {
  type CliContext,
  type CliOutcome,
  exitWith,
  globalOptions,
  loadCommandConfig,
} from "../context.js";

export function registerRunCommand(program: Command, ctx: CliContext, outcome: CliOutcome): void {
  program
    .command("run")
    .description("run the agent until SIGINT/SIGTERM (what the systemd unit starts)")
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const { config, file } = await loadCommandConfig(command, ctx);
        // Refused before anything starts: a key others can read is a key to replace, not to use.
        await assertPrivateFiles([config.secrets.keyFile, config.uplink.key]);
        // The daemon's log is its output: JSON lines on stdout (journald) unless a TTY asks otherwise.
        const logger = createLogger({
          level: globalOptions(command).logLevel ?? config.log.level,
          format: config.log.format,
          destination: ctx.stdout,
        }).child({ site: config.site.id });
        const reread = async () => (await loadConfigFile(file, ctx.env)).config;
        return runUntilSignal(Agent.fromConfig(config, logger, ctx.env, reread, file), logger);
      }),
    );
}
