import { createHash } from "node:crypto";
import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import { locateFfmpeg } from "../../recorder/index.js";
import { takeSnapshot } from "../../snapshot/index.js";
import { writeFileAtomic } from "../../util/files.js";
import { resolveCamera, withInventory } from "../camera-access.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

/** Larger than any camera's JPEG; a reply past it is refused, not read on. */
const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

export function registerSnapshotCommand(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("snapshot")
    .description(
      "one picture from a camera, to check its aim and focus on site: its snapshot address, else a frame of its stream",
    )
    .argument("<camera>", "camera id or address (an approved camera)")
    .requiredOption("-o, --output <file>", "where to write the JPEG")
    .option("--profile <token>", "the ONVIF profile (default: the largest)")
    .option("--stream", "take a frame of the stream even if the camera gives a snapshot address")
    .action(
      exitWith(
        outcome,
        async (
          named: string,
          options: { output: string; profile?: string; stream?: boolean },
          command: Command,
        ) => {
          const { config } = await loadCommandConfig(command, ctx);
          const logger = cliLogger(command, ctx, config);
          return withInventory(config, logger, async ({ repos, vault }) => {
            const camera = repos.cameras.get(resolveCamera(repos, named));
            if (!camera) throw new CamgateError(`no camera ${named}`);
            if (camera.trust !== "approved")
              throw new CamgateError(
                `camera ${camera.id} is not approved: it gets no credential (camgate cameras approve ${camera.id})`,
              );
            const shot = await takeSnapshot(
              camera,
              { profile: options.profile, stream: options.stream === true },
              {
                credentials: vault.forCamera(camera),
                allowBasicAuth: config.recorder.cameras[camera.id]?.allowBasicAuth === true,
                callTimeoutMs: config.discovery.callTimeout,
                connectTimeoutMs: config.recorder.connectTimeout,
                maxBytes: MAX_SNAPSHOT_BYTES,
                ffmpeg: async () =>
                  (await locateFfmpeg({ configured: config.recorder.ffmpegPath, env: ctx.env }))
                    .path,
                logger,
              },
            );
            const { jpeg } = shot;
            await writeFileAtomic(options.output, jpeg, 0o600);
            const sha256 = createHash("sha256").update(jpeg).digest("hex");
            if (globalOptions(command).json)
              printJson(ctx, {
                camera: camera.id,
                file: options.output,
                bytes: jpeg.length,
                sha256,
                source: shot.source,
              });
            else
              printLines(ctx, [
                `wrote ${options.output} (${Math.ceil(jpeg.length / 1024)} KiB) from ${camera.id}` +
                  (shot.source === "stream" ? `, a frame of its stream (${shot.why})` : ""),
              ]);
            return ExitCode.ok;
          });
        },
      ),
    );
}
