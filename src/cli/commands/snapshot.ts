import { createHash } from "node:crypto";
import type { Command } from "commander";
import { fetchSnapshot } from "../../discovery/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import type { CameraRecord } from "../../store/index.js";
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

interface SnapshotProfile {
  token?: unknown;
  width?: unknown;
  height?: unknown;
  snapshotUri?: unknown;
}

/** The snapshot address of the named profile, else of the profile with the most pixels. */
function snapshotUri(camera: CameraRecord, token: string | undefined): string {
  const profiles = (camera.profiles as SnapshotProfile[]).filter(
    (profile) => typeof profile.snapshotUri === "string",
  );
  const pixels = (p: SnapshotProfile) =>
    (typeof p.width === "number" ? p.width : 0) * (typeof p.height === "number" ? p.height : 0);
  const chosen = token
    ? profiles.find((profile) => profile.token === token)
    : [...profiles].sort((a, b) => pixels(b) - pixels(a))[0];
  if (!chosen)
    throw new CamgateError(
      token
        ? `camera ${camera.id} has no snapshot address for profile ${token}`
        : `camera ${camera.id} gave no snapshot address when it was interrogated`,
    );
  return chosen.snapshotUri as string;
}

export function registerSnapshotCommand(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("snapshot")
    .description("one picture from a camera, to check its aim and focus on site")
    .argument("<camera>", "camera id or address (an approved camera)")
    .requiredOption("-o, --output <file>", "where to write the JPEG")
    .option("--profile <token>", "the ONVIF profile (default: the largest)")
    .action(
      exitWith(
        outcome,
        async (named: string, options: { output: string; profile?: string }, command: Command) => {
          const { config } = await loadCommandConfig(command, ctx);
          return withInventory(
            config,
            cliLogger(command, ctx, config),
            async ({ repos, vault }) => {
              const camera = repos.cameras.get(resolveCamera(repos, named));
              if (!camera) throw new CamgateError(`no camera ${named}`);
              if (camera.trust !== "approved")
                throw new CamgateError(
                  `camera ${camera.id} is not approved: it gets no credential (camgate cameras approve ${camera.id})`,
                );
              const jpeg = await fetchSnapshot(snapshotUri(camera, options.profile), {
                credentials: vault.forCamera(camera),
                timeoutMs: config.discovery.callTimeout,
                maxBytes: MAX_SNAPSHOT_BYTES,
                tlsFingerprint: camera.pin?.tlsFingerprint ?? null,
              });
              await writeFileAtomic(options.output, jpeg, 0o600);
              const sha256 = createHash("sha256").update(jpeg).digest("hex");
              if (globalOptions(command).json)
                printJson(ctx, {
                  camera: camera.id,
                  file: options.output,
                  bytes: jpeg.length,
                  sha256,
                });
              else
                printLines(ctx, [
                  `wrote ${options.output} (${Math.ceil(jpeg.length / 1024)} KiB) from ${camera.id}`,
                ]);
              return ExitCode.ok;
            },
          );
        },
      ),
    );
}
