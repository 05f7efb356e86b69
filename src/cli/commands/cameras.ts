import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import { interrogate } from "../../discovery/index.js";
import { credentialsFrom, deviceXAddr, withInventory } from "../camera-access.js";
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

export function registerCameraCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  const cameras = program.command("cameras").description("the camera inventory");

  cameras
    .command("add")
    .description("interrogate a camera and add it, with its credentials sealed")
    .argument("<target>", "device-service URL, host, or host:port")
    .option("-u, --user <user>", "username")
    .option("-p, --password <password>", "password (prefer --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .option("--name <name>", "a name for the camera")
    .action(
      exitWith(
        outcome,
        async (
          target: string,
          options: { user?: string; password?: string; passwordStdin?: boolean; name?: string },
          command: Command,
        ) => {
          const { config } = await loadCommandConfig(command, ctx);
          const credentials = await credentialsFrom(options, ctx);
          const report = await interrogate(deviceXAddr(target), {
            credentials,
            callTimeoutMs: config.discovery.callTimeout,
          });
          if (options.name) report.name = options.name;
          return withInventory(config, cliLogger(command, ctx, config), ({ inventory, vault }) => {
            const { camera, change } = inventory.record(report);
            if (credentials) vault.setForCamera(camera.id, credentials);
            if (globalOptions(command).json) printJson(ctx, { id: camera.id, change });
            else
              printLines(ctx, [
                `${change === "new" ? "added" : "updated"} ${camera.id} (${camera.manufacturer ?? "?"} ${camera.model ?? "?"} at ${camera.ip ?? "?"})`,
              ]);
            return ExitCode.ok;
          });
        },
      ),
    );

  cameras
    .command("list")
    .description("list the cameras in the inventory")
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        return withInventory(config, cliLogger(command, ctx, config), ({ repos }) => {
          const list = repos.cameras.list();
          if (globalOptions(command).json) {
            printJson(
              ctx,
              list.map(({ xaddrs, profiles, ...camera }) => ({
                ...camera,
                xaddrs,
                profiles,
                hasCredentials: repos.cameraSecrets.get(camera.id) !== undefined,
              })),
            );
          } else {
            printLines(
              ctx,
              formatTable(
                [
                  "ID",
                  "ADDRESS",
                  "MANUFACTURER",
                  "MODEL",
                  "FIRMWARE",
                  "ENABLED",
                  "REACHABLE",
                  "LAST SEEN",
                ],
                list.map((c) => [
                  c.id,
                  c.ip ?? "",
                  c.manufacturer ?? "",
                  c.model ?? "",
                  c.firmware ?? "",
                  c.enabled ? "yes" : "no",
                  c.reachable ? "yes" : "no",
                  new Date(c.lastSeenMs).toISOString(),
                ]),
              ),
            );
          }
          return ExitCode.ok;
        });
      }),
    );

  cameras
    .command("remove")
    .description("remove a camera and its credentials (its recordings stay until evicted)")
    .argument("<id>")
    .action(
      exitWith(outcome, async (id: string, _options: unknown, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        return withInventory(config, cliLogger(command, ctx, config), ({ repos }) => {
          if (!repos.cameras.remove(id)) throw new CamgateError(`no camera ${id}`);
          printLines(ctx, [`removed ${id}`]);
          return ExitCode.ok;
        });
      }),
    );

  cameras
    .command("set")
    .description("enable or disable a camera")
    .argument("<id>")
    .option("--enabled", "record and audit this camera")
    .option("--disabled", "leave this camera alone")
    .action(
      exitWith(
        outcome,
        async (
          id: string,
          options: { enabled?: boolean; disabled?: boolean },
          command: Command,
        ) => {
          if (options.enabled === options.disabled)
            throw new CamgateError("give exactly one of --enabled or --disabled", {
              exitCode: ExitCode.usage,
            });
          const { config } = await loadCommandConfig(command, ctx);
          return withInventory(config, cliLogger(command, ctx, config), ({ repos }) => {
            if (!repos.cameras.setEnabled(id, options.enabled === true))
              throw new CamgateError(`no camera ${id}`);
            printLines(ctx, [`${id} ${options.enabled ? "enabled" : "disabled"}`]);
            return ExitCode.ok;
          });
        },
      ),
    );

  cameras
    .command("default-credentials")
    .description("set the credentials tried on cameras that have none of their own (sealed)")
    .requiredOption("-u, --user <user>", "username")
    .option("-p, --password <password>", "password (prefer --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .action(
      exitWith(
        outcome,
        async (
          options: { user: string; password?: string; passwordStdin?: boolean },
          command: Command,
        ) => {
          const { config } = await loadCommandConfig(command, ctx);
          const credentials = await credentialsFrom(options, ctx);
          return withInventory(config, cliLogger(command, ctx, config), ({ vault }) => {
            if (credentials) vault.setSiteDefault(credentials);
            printLines(ctx, ["site default credentials saved (sealed)"]);
            return ExitCode.ok;
          });
        },
      ),
    );
}
