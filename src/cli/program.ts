import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../config/index.js";
import { CamgateError, describeError, ExitCode } from "../errors.js";
import { packageVersion } from "../version.js";
import { registerAccessCommands } from "./commands/access.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerCameraCommands } from "./commands/cameras.js";
import { registerCenterCommand } from "./commands/center.js";
import { registerCertCommands } from "./commands/cert.js";
import { registerConfigCommands } from "./commands/config.js";
import { registerDiscoveryCommands } from "./commands/discovery.js";
import { registerEventCommands } from "./commands/events.js";
import { registerRecordingCommands } from "./commands/recordings.js";
import { registerRunCommand } from "./commands/run.js";
import { registerStatusCommand } from "./commands/status.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerProvisionCommand } from "./commands/provision.js";
import { registerSimCommand } from "./commands/sim.js";
import { registerSnapshotCommand } from "./commands/snapshot.js";
import { registerUpdateCommands } from "./commands/update.js";
import { type CliContext, type CliOutcome, terminalSafe } from "./context.js";

export function buildProgram(ctx: CliContext, outcome: CliOutcome): Command {
  const program = new Command("camgate")
    .description("camgate: ONVIF discovery, baseline audit, ring-buffer recording and mTLS uplink")
    .version(packageVersion(), "-V, --version")
    .option(
      "-c, --config <file>",
      "configuration file (default: $CAMGATE_CONFIG or /etc/camgate/camgate.yaml)",
    )
    .option("--json", "print machine-readable JSON instead of tables")
    .addOption(
      new Option("--log-level <level>", "log verbosity").choices([
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
      ]),
    )
    .exitOverride()
    // A sub-command's --help shows --config, --json and --log-level too.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    })
    .showSuggestionAfterError();
  registerConfigCommands(program, ctx, outcome);
  registerDiscoveryCommands(program, ctx, outcome);
  registerCameraCommands(program, ctx, outcome);
  registerSnapshotCommand(program, ctx, outcome);
  registerAuditCommand(program, ctx, outcome);
  registerAccessCommands(program, ctx, outcome);
  registerCenterCommand(program, ctx, outcome);
  registerCertCommands(program, ctx, outcome);
  registerRecordingCommands(program, ctx, outcome);
  registerEventCommands(program, ctx, outcome);
  registerRunCommand(program, ctx, outcome);
  registerStatusCommand(program, ctx, outcome);
  registerDemoCommand(program, ctx, outcome);
  registerProvisionCommand(program, ctx, outcome);
  registerSimCommand(program, ctx, outcome);
  registerUpdateCommands(program, ctx, outcome);
  return program;
}

/** Parses argv, runs the command, and returns the exit code; nothing here calls process.exit. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const outcome: CliOutcome = { exitCode: ExitCode.ok };
  const program = buildProgram(ctx, outcome);
  try {
    await program.parseAsync([...argv], { from: "node" });
    return outcome.exitCode;
  } catch (error) {
    return reportError(error, ctx);
  }
}

function reportError(error: unknown, ctx: CliContext): number {
  if (error instanceof CommanderError) {
    const informational = ["commander.helpDisplayed", "commander.help", "commander.version"];
    return informational.includes(error.code) ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof ConfigError) {
    ctx.stderr.write(`camgate: ${terminalSafe(error.message, { multiline: true })}\n`);
    return ExitCode.config;
  }
  const prefix = error instanceof CamgateError ? "camgate" : "camgate: unexpected error";
  // An error's message may quote a device (a SOAP Fault's reason, an XML error).
  ctx.stderr.write(`${prefix}: ${terminalSafe(describeError(error), { multiline: true })}\n`);
  if (!(error instanceof CamgateError) && ctx.env.CAMGATE_DEBUG && error instanceof Error) {
    ctx.stderr.write(`${error.stack ?? ""}\n`);
  }
  return error instanceof CamgateError ? error.exitCode : ExitCode.failure;
}
