import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseDuration } from "../../config/units.js";
import { Demo } from "../../demo/index.js";
import { type Runnable, runUntilSignal } from "../../lifecycle/index.js";
import { locateFfmpeg } from "../../recorder/index.js";
import { PROFILE_NAMES, type ProfileName } from "../../sim/index.js";
import { type CliContext, type CliOutcome, cliLogger, exitWith, printLines } from "../context.js";

interface DemoCliOptions {
  cameras: number;
  profile: ProfileName;
  baseIp: string;
  dir?: string;
  broker?: string;
  pki?: string;
  for?: number;
}

function cameraCount(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 16)
    throw new InvalidArgumentError("a whole number from 1 to 16");
  return parsed;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError("a duration such as 90s or 5m");
  return ms;
}

export function registerDemoCommand(program: Command, ctx: CliContext, outcome: CliOutcome): void {
  program
    .command("demo")
    .description(
      "the whole pipeline on this machine: simulated cameras, a broker with mutual TLS, the agent discovering, auditing, recording and forwarding, and the center receiving; until Ctrl-C",
    )
    .option("-n, --cameras <n>", "how many simulated cameras (1-16)", cameraCount, 4)
    .addOption(
      new Option("--profile <profile>", "their security profile")
        .choices(PROFILE_NAMES)
        .default("mixed"),
    )
    .option("--base-ip <address>", "address of the first camera (127.0.0.0/8)", "127.0.77.10")
    .option("--dir <dir>", "keep everything here (default: a new directory under the temp dir)")
    .option(
      "--broker <url>",
      "use this broker (mqtts://) instead of starting mosquitto; needs --pki",
    )
    .option(
      "--pki <dir>",
      "with --broker: the directory `camgate pki dev-ca --site demo-site` wrote",
    )
    .option("--for <duration>", "stop by itself after this long (e.g. 2m)", duration)
    .action(
      exitWith(outcome, async (options: DemoCliOptions, command: Command) => {
        const logger = cliLogger(command, ctx).child({ component: "demo" });
        if ((options.broker === undefined) !== (options.pki === undefined))
          throw new InvalidArgumentError("--broker and --pki go together");
        const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), "camgate-demo-"))));
        const ffmpeg = await locateFfmpeg({ env: ctx.env });
        const demo = new Demo({
          dir,
          cameras: options.cameras,
          profile: options.profile,
          baseIp: options.baseIp,
          ffmpeg: ffmpeg.path,
          broker:
            options.broker && options.pki
              ? { url: options.broker, pki: resolve(options.pki) }
              : undefined,
          out: ctx.stdout,
          logger,
        });
        const target: Runnable = {
          start: async (signal) => {
            ctx.stderr.write(`camgate demo: starting in ${dir}\n`);
            await demo.start(signal);
            ctx.stderr.write(`camgate demo: running; Ctrl-C to stop\n`);
            if (options.for !== undefined)
              setTimeout(() => process.kill(process.pid, "SIGINT"), options.for).unref();
          },
          stop: () => demo.stop(),
        };
        const code = await runUntilSignal(target, logger);
        const layout = demo.layout;
        printLines(ctx, [
          "",
          `camgate demo stopped; everything is under ${layout.dir}:`,
          `  recordings      ${layout.recordings}`,
          `  audit report    ${layout.auditReport}`,
          `  center received ${layout.center} (per site and camera: video, audits, events)`,
          `  box config      ${layout.boxConfig}  (camgate status --config ${layout.boxConfig})`,
          `  box log         ${layout.boxLog}`,
        ]);
        return code;
      }),
    );
}
