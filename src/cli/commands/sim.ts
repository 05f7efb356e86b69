import { type Command, InvalidArgumentError, Option } from "commander";
import { runUntilSignal } from "../../lifecycle/index.js";
import { locateFfmpeg } from "../../recorder/index.js";
import {
  MAX_SIMULATED_CAMERAS,
  MEDIA_NAMES,
  type MediaName,
  PROFILE_NAMES,
  type ProfileName,
  type SimCameraInfo,
  Simulator,
  UNPRIVILEGED_PORTS,
} from "../../sim/index.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  formatTable,
  globalOptions,
  printLines,
} from "../context.js";

interface SimOptions {
  cameras: number;
  baseIp: string;
  profile: ProfileName;
  media: MediaName;
  video?: string;
  unprivileged?: boolean;
  seed?: string;
  motionEvery?: number;
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 2 || parsed > 86_400) {
    throw new InvalidArgumentError("a whole number of seconds from 2 to 86400");
  }
  return parsed;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_SIMULATED_CAMERAS) {
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_SIMULATED_CAMERAS}`);
  }
  return parsed;
}

function tableOf(cameras: readonly SimCameraInfo[]): string[] {
  return formatTable(
    ["NAME", "ADDRESS", "PROFILE", "USER", "PASSWORD", "ONVIF", "RTSP", "MEDIA"],
    cameras.map((c) => [
      c.name,
      c.address,
      c.profile,
      c.username,
      c.password,
      c.xaddr,
      c.streams[0] ?? "",
      c.media,
    ]),
  );
}

export function registerSimCommand(program: Command, ctx: CliContext, outcome: CliOutcome): void {
  program
    .command("sim")
    .description("run simulated ONVIF/RTSP cameras on loopback addresses until SIGINT/SIGTERM")
    .option("-n, --cameras <n>", "how many cameras", positiveInt, 4)
    .option("--base-ip <address>", "address of the first camera (127.0.0.0/8)", "127.0.0.10")
    .addOption(
      new Option("--profile <profile>", "security profile").choices(PROFILE_NAMES).default("mixed"),
    )
    .addOption(
      new Option(
        "--media <media>",
        "what the cameras stream: h264, h265, h264+pcmu (G.711 audio), or mixed (h265, h264+pcmu, h264 in turn)",
      )
        .choices(MEDIA_NAMES)
        .default("h264"),
    )
    .option(
      "--video <file>",
      "serve this video (transcoded once to H.264) instead of a test pattern",
    )
    .option(
      "--unprivileged",
      `use ports ${Object.values(UNPRIVILEGED_PORTS).join("/")} instead of the standard ones`,
    )
    .option("--seed <text>", "identity seed: the same seed gives the same URNs, MACs and passwords")
    .option(
      "--motion-every <seconds>",
      "every camera's motion detector turns on this often, for half the period (ONVIF events)",
      seconds,
    )
    .action(
      exitWith(outcome, async (options: SimOptions, command: Command) => {
        const logger = cliLogger(command, ctx).child({ component: "sim" });
        const ffmpeg = await locateFfmpeg({ env: ctx.env });
        const simulator = new Simulator({
          cameras: options.cameras,
          baseIp: options.baseIp,
          profile: options.profile,
          media: options.media,
          ffmpeg: ffmpeg.path,
          videoFile: options.video,
          ports: options.unprivileged ? UNPRIVILEGED_PORTS : undefined,
          seed: options.seed,
          motion:
            options.motionEvery === undefined
              ? undefined
              : { everyMs: options.motionEvery * 1000, forMs: options.motionEvery * 500 },
        });
        const json = globalOptions(command).json === true;
        return runUntilSignal(
          {
            start: async () => {
              await simulator.start();
              const cameras = simulator.describe();
              if (json)
                printLines(
                  ctx,
                  cameras.map((camera) => JSON.stringify(camera)),
                );
              else printLines(ctx, tableOf(cameras));
              ctx.stderr.write(`camgate sim: ${cameras.length} cameras running; Ctrl-C to stop\n`);
            },
            stop: async () => {
              await simulator.stop();
              return { stopped: ["sim"], failures: [] };
            },
          },
          logger,
        );
      }),
    );
}
