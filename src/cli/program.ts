import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../config/index.js";
import { CamgateError, describeError, ExitCode } from "../errors.js";
import { packageVersion } from "../version.js";
import { type CliContext, type CliOutcome, terminalSafe } from "./context.js";

type RegisterCommands = (program: Command, ctx: CliContext, outcome: CliOutcome) => void;

/**
 * The modules that register the top-level commands, in the order help lists them, with the
 * names each registers. A command loads its own module only: the daemon (`run`) carries neither
 * the simulator nor the center nor provisioning, and a command on the box starts sooner.
 */
export const COMMAND_MODULES: readonly {
  names: readonly string[];
  load: () => Promise<RegisterCommands>;
}[] = [
  {
    names: ["config"],
    load: async () => (await import("./commands/config.js")).registerConfigCommands,
  },
  {
    names: ["discover", "inspect"],
    load: async () => (await import("./commands/discovery.js")).registerDiscoveryCommands,
  },
  {
    names: ["cameras"],
    load: async () => (await import("./commands/cameras.js")).registerCameraCommands,
  },
  {
    names: ["snapshot"],
    load: async () => (await import("./commands/snapshot.js")).registerSnapshotCommand,
  },
  {
    names: ["audit"],
    load: async () => (await import("./commands/audit.js")).registerAuditCommand,
  },
  {
    names: ["access"],
    load: async () => (await import("./commands/access.js")).registerAccessCommands,
  },
  {
    names: ["center"],
    load: async () => (await import("./commands/center.js")).registerCenterCommand,
  },
  {
    names: ["cert", "pki"],
    load: async () => (await import("./commands/cert.js")).registerCertCommands,
  },
  {
    names: ["recordings"],
    load: async () => (await import("./commands/recordings.js")).registerRecordingCommands,
  },
  {
    names: ["events"],
    load: async () => (await import("./commands/events.js")).registerEventCommands,
  },
  { names: ["run"], load: async () => (await import("./commands/run.js")).registerRunCommand },
  {
    names: ["status"],
    load: async () => (await import("./commands/status.js")).registerStatusCommand,
  },
  { names: ["demo"], load: async () => (await import("./commands/demo.js")).registerDemoCommand },
  {
    names: ["provision"],
    load: async () => (await import("./commands/provision.js")).registerProvisionCommand,
  },
  { names: ["sim"], load: async () => (await import("./commands/sim.js")).registerSimCommand },
  {
    names: ["update"],
    load: async () => (await import("./commands/update.js")).registerUpdateCommands,
  },
];

/** The global options that take a value: what follows them is not the command's name. */
const VALUE_OPTIONS = new Set(["-c", "--config", "--log-level"]);

/** The top-level command `argv` names (node, script, then the arguments), if any. */
export function invokedCommand(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (arg === "--") return args[index + 1];
    if (!arg.startsWith("-")) return arg;
    if (VALUE_OPTIONS.has(arg)) index++;
  }
  return undefined;
}

/**
 * Builds the program with the command `argv` names, or with every command when it names none
 * (help, version, a typo to suggest a correction for).
 */
export async function buildProgram(
  ctx: CliContext,
  outcome: CliOutcome,
  argv: readonly string[],
): Promise<Command> {
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
  const name = invokedCommand(argv);
  const named = COMMAND_MODULES.filter(
    (module) => name !== undefined && module.names.includes(name),
  );
  for (const module of named.length > 0 ? named : COMMAND_MODULES)
    (await module.load())(program, ctx, outcome);
  return program;
}

/** Parses argv, runs the command, and returns the exit code; nothing here calls process.exit. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const outcome: CliOutcome = { exitCode: ExitCode.ok };
  try {
    const program = await buildProgram(ctx, outcome, argv);
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
