import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CONFIG_PATH } from "../../config/index.js";
import { ExitCode } from "../../errors.js";
import { type Lang, LANGS } from "../../i18n/index.js";
import {
  type Answers,
  LinePrompter,
  loadAnswers,
  PROVISION_STEPS,
  type ProvisionStep,
  provision,
  ScriptedPrompter,
} from "../../provision/index.js";
import { type CliContext, type CliOutcome, cliLogger, exitWith } from "../context.js";

interface ProvisionCliOptions {
  answers?: string;
  configOut: string;
  stateDir: string;
  interactive?: boolean;
  service: boolean;
  redo: ProvisionStep[];
  owner: string;
  lang?: Lang;
}

function step(value: string, previous: ProvisionStep[]): ProvisionStep[] {
  if (value === "all") return [...PROVISION_STEPS];
  if (!(PROVISION_STEPS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${PROVISION_STEPS.join(", ")}, or all`);
  return [...previous, value as ProvisionStep];
}

export function registerProvisionCommand(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("provision")
    .description(
      "set the box up on site: site, key and CSR, certificate, broker test, cameras and credentials, audit, recording, config, service; resumes where it stopped",
    )
    .option("--answers <file>", "YAML answers for a scripted run (see README)")
    .option("--config-out <file>", "the config to write", DEFAULT_CONFIG_PATH)
    .option("--state-dir <dir>", "the agent's data directory", "/var/lib/camgate")
    .option("--interactive", "ask questions even when standard input is not a terminal")
    .option("--no-service", "do not restart camgate.service at the end")
    .option(
      "--owner <user>",
      "service account that gets the data directory (when run as root)",
      "camgate",
    )
    .option("--redo <step>", "do a completed step again (repeatable; all)", step, [])
    .addOption(
      new Option(
        "--lang <lang>",
        "language of the audit table and report for the site owner (default: site.locale, vi)",
      ).choices(LANGS),
    )
    .action(
      exitWith(outcome, async (options: ProvisionCliOptions, command: Command) => {
        const answers: Answers = options.answers ? await loadAnswers(options.answers) : {};
        const interactive = options.interactive === true || ctx.stdin.isTTY === true;
        const prompter = interactive
          ? new LinePrompter(ctx.stdin, ctx.stdout)
          : new ScriptedPrompter();
        try {
          await provision({
            configFile: options.configOut,
            stateDir: options.stateDir,
            answers,
            prompter,
            redo: new Set(options.redo),
            service: options.service,
            owner: process.getuid?.() === 0 ? options.owner : undefined,
            lang: options.lang,
            say: (line) => ctx.stdout.write(`${line}\n`),
            logger: cliLogger(command, ctx),
          });
        } finally {
          prompter.close();
        }
        ctx.stdout.write("provisioned.\n");
        return ExitCode.ok;
      }),
    );
}
