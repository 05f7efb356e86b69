import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import { readUpdateState, writeUpdateState } from "../../lifecycle/update-state.js";
import { signedManifestSchema } from "../../protocol/index.js";
import {
  checkOffer,
  checkRollbackTarget,
  installRelease,
  switchRelease,
  UpdateRefusedError,
  updateLayout,
} from "../../update/index.js";
import { packageVersion } from "../../version.js";
import {
  type CliContext,
  type CliOutcome,
  exitWith,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

const TEXT = {
  vi: {
    installed: (v: string, from: string) =>
      `Đã cài camgate ${v} (đang chạy ${from}). Khởi động lại dịch vụ: systemctl restart camgate. ` +
      "Nếu bản mới không báo khỏe kịp thời, hộp tự quay về bản cũ.",
    refused: (message: string) => `Từ chối bản cập nhật: ${message}`,
  },
  en: {
    installed: (v: string, from: string) =>
      `Installed camgate ${v} (running ${from}). Restart the service: systemctl restart camgate. ` +
      "If the new release does not report healthy in time, the box switches back.",
    refused: (message: string) => `Update refused: ${message}`,
  },
} as const;

/** The manifest beside a tarball: `camgate-1.2.0.tgz` → `camgate-1.2.0.manifest.json`. */
function manifestBeside(file: string): string {
  return `${file.replace(/\.tgz$/, "")}.manifest.json`;
}

export function registerUpdateCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const update = program.command("update").description("signed releases of camgate");
  update
    .command("apply <file>")
    .description(
      "install a release tarball from a USB stick (its signed manifest beside it) as update.offer does; restart the service afterwards",
    )
    .option("--manifest <file>", "the signed manifest (default: <file without .tgz>.manifest.json)")
    .action(
      exitWith(outcome, async (file: string, options: { manifest?: string }, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        const text = TEXT[config.site.locale === "en" ? "en" : "vi"];
        if (config.update.publicKey === undefined)
          throw new CamgateError("update.publicKey is not configured: no release can be checked", {
            exitCode: ExitCode.config,
          });
        const publicKey = await readFile(config.update.publicKey, "utf8");
        const manifestFile = options.manifest ?? manifestBeside(file);
        const parsed = signedManifestSchema.safeParse(
          JSON.parse(await readFile(manifestFile, "utf8")),
        );
        if (!parsed.success) throw new CamgateError(`${manifestFile} is not a signed manifest`);
        const signed = parsed.data;
        const layout = updateLayout(config);
        const running = packageVersion();
        try {
          checkOffer(signed, publicKey, running);
          await checkRollbackTarget(layout, running);
          await installRelease(file, signed, layout);
        } catch (error) {
          if (!(error instanceof UpdateRefusedError)) throw error;
          const state = await readUpdateState(layout.stateFile);
          await writeUpdateState(layout.stateFile, {
            ...state,
            last: {
              outcome: "refused",
              version: signed.manifest.version,
              from: running,
              reason: `${error.reason}: ${error.message}`,
              atMs: Date.now(),
              source: "file",
              reported: false,
            },
          });
          throw new CamgateError(text.refused(error.message), { cause: error });
        }
        await switchRelease(layout, running, signed.manifest.version, "file");
        if (globalOptions(command).json)
          printJson(ctx, { installed: signed.manifest.version, from: running, restart: true });
        else printLines(ctx, [text.installed(signed.manifest.version, running)]);
        return ExitCode.ok;
      }),
    );
}
