import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import {
  approveCamera,
  changeCredentials,
  interrogate,
  readPin,
  rtspCameraUrl,
  rtspObservation,
} from "../../discovery/index.js";
import { formatDateTimeZone } from "../../i18n/index.js";
import type { CameraRecord, Repositories } from "../../store/index.js";
import {
  type CredentialFlags,
  credentialsFrom,
  deviceXAddr,
  PASSWORD_STDIN_HELP,
  refusedPasswordOption,
  withInventory,
} from "../camera-access.js";
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
    .description(
      "add a camera you name by address: interrogated with its credentials, approved and pinned; " +
        "or, for a camera without ONVIF, by its RTSP URL (--rtsp)",
    )
    .argument("[target]", "device-service URL, host, or host:port")
    .option(
      "--rtsp <url>",
      "a camera with ONVIF off: its stream's rtsp:// URL, without credentials (recorded; audited without ONVIF)",
    )
    .option("-u, --user <user>", "username")
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
    .option("--name <name>", "a name for the camera")
    .action(
      exitWith(
        outcome,
        async (
          target: string | undefined,
          options: CredentialFlags & { rtsp?: string; name?: string },
          command: Command,
        ) => {
          if ((target === undefined) === (options.rtsp === undefined))
            throw new CamgateError(
              "name the camera by its ONVIF address, or by --rtsp URL for a camera without ONVIF (one of the two)",
              { exitCode: ExitCode.usage },
            );
          const { config } = await loadCommandConfig(command, ctx);
          if (options.rtsp !== undefined) {
            const url = rtspCameraUrl(options.rtsp);
            const credentials = await credentialsFrom(options, ctx);
            return withInventory(config, cliLogger(command, ctx, config), ({ repos, vault }) => {
              const { camera, change } = addRtspCamera(repos, url, options.name);
              if (credentials) vault.setForCamera(camera.id, credentials);
              if (globalOptions(command).json) printJson(ctx, { id: camera.id, change });
              else
                printLines(ctx, [
                  `${change === "new" ? "added" : "updated"} ${camera.id} (${url.href}, no ONVIF), approved`,
                  "the running agent records it within seconds; its audit skips what needs ONVIF",
                ]);
              return ExitCode.ok;
            });
          }
          const credentials = await credentialsFrom(options, ctx);
          const callTimeoutMs = config.discovery.callTimeout;
          const report = await interrogate(deviceXAddr(target as string), {
            credentials,
            callTimeoutMs,
          });
          if (options.name) report.name = options.name;
          const pin = await readPin(report, callTimeoutMs);
          return withInventory(
            config,
            cliLogger(command, ctx, config),
            ({ repos, inventory, vault }) => {
              const here = repos.cameras.list().find((camera) => camera.ip === report.address);
              const { camera, change } = inventory.record(report, {
                ...(here ? { id: here.id } : {}),
                trust: "approved",
              });
              repos.cameras.approve(camera.id, pin);
              if (credentials) vault.setForCamera(camera.id, credentials);
              if (globalOptions(command).json) printJson(ctx, { id: camera.id, change });
              else
                printLines(ctx, [
                  `${change === "new" ? "added" : "updated"} ${camera.id} (${describe(camera)}), approved`,
                ]);
              return ExitCode.ok;
            },
          );
        },
      ),
    );

  cameras
    .command("approve")
    .description(
      "approve a device discovery found: interrogated with its credentials, pinned, then recorded",
    )
    .argument("<id>", "the pending device (camgate cameras list)")
    .option("-u, --user <user>", "username (default: the camera's own, else the site default)")
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
    .option(
      "--replaces <camera>",
      "the device is this approved camera, moved or swapped: it keeps its id and recordings",
    )
    .action(
      exitWith(
        outcome,
        async (id: string, options: CredentialFlags & { replaces?: string }, command: Command) => {
          const { config } = await loadCommandConfig(command, ctx);
          const credentials = await credentialsFrom(options, ctx);
          return withInventory(config, cliLogger(command, ctx, config), async (access) => {
            const { camera } = await approveCamera(
              { ...access, callTimeoutMs: config.discovery.callTimeout },
              id,
              {
                ...(credentials ? { credentials } : {}),
                ...(options.replaces ? { replaces: options.replaces } : {}),
              },
            );
            if (globalOptions(command).json) printJson(ctx, { id: camera.id, pin: camera.pin });
            else
              printLines(ctx, [
                `approved ${camera.id} (${describe(camera)}); pinned to ${pinText(camera)}`,
                "the running agent records it within seconds",
              ]);
            return ExitCode.ok;
          });
        },
      ),
    );

  cameras
    .command("credentials")
    .description("change a camera's credentials: checked against the camera, then sealed")
    .argument("<id>")
    .requiredOption("-u, --user <user>", "username")
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
    .action(
      exitWith(outcome, async (id: string, options: CredentialFlags, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        const credentials = await credentialsFrom(options, ctx);
        if (!credentials) throw new CamgateError("-u USER is required", { exitCode: 2 });
        return withInventory(config, cliLogger(command, ctx, config), async (access) => {
          const { camera } = await changeCredentials(
            { ...access, callTimeoutMs: config.discovery.callTimeout },
            id,
            credentials,
          );
          printLines(ctx, [
            `${camera.id} accepted the credentials of ${credentials.username}; sealed`,
            "the running agent uses them within seconds",
          ]);
          return ExitCode.ok;
        });
      }),
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
                lastSeen: new Date(camera.lastSeenMs).toISOString(),
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
                  "TRUST",
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
                  trustText(c),
                  c.enabled ? "yes" : "no",
                  c.reachable ? "yes" : "no",
                  formatDateTimeZone(c.lastSeenMs, config.site.timezone),
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
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
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
            printLines(ctx, [
              "site default credentials saved (sealed); tried only on cameras you approve",
            ]);
            return ExitCode.ok;
          });
        },
      ),
    );
}

/**
 * A camera without ONVIF, approved by the technician who typed its URL: kept under the id its
 * URL gives (the same URL again updates it), pinned to its address.
 */
function addRtspCamera(
  repos: Repositories,
  url: URL,
  name: string | undefined,
): { camera: CameraRecord; change: "new" | "changed" } {
  const nowMs = Date.now();
  const observation = rtspObservation(url, { name, nowMs });
  const known = repos.cameras.get(observation.id);
  const camera = repos.cameras.upsert(
    { ...observation, name: name ?? known?.name ?? null },
    { trust: "approved" },
  );
  repos.cameras.approve(camera.id, {
    address: observation.ip ?? url.hostname,
    serial: null,
    mac: null,
    tlsFingerprint: null,
    httpsPort: null,
    pinnedMs: nowMs,
  });
  return { camera: repos.cameras.get(camera.id) ?? camera, change: known ? "changed" : "new" };
}

function describe(camera: CameraRecord): string {
  return `${camera.manufacturer ?? "?"} ${camera.model ?? "?"} at ${camera.ip ?? "?"}`;
}

function pinText(camera: CameraRecord): string {
  const pin = camera.pin;
  if (!pin) return "nothing (the camera told nothing to pin)";
  return [
    pin.address,
    pin.serial ? `serial ${pin.serial}` : undefined,
    pin.mac ? `MAC ${pin.mac}` : undefined,
    pin.tlsFingerprint ? `HTTPS certificate ${pin.tlsFingerprint.slice(0, 23)}…` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
}

/** pending, approved, or what is wrong with the camera's identity. */
function trustText(camera: CameraRecord): string {
  if (camera.trust === "pending")
    return camera.claims ? `pending: claims ${camera.claims}` : "pending";
  const issue = camera.identityIssue;
  if (!issue) return "approved";
  return issue.kind === "mismatch"
    ? `HELD: ${issue.detail}`
    : `approved; claimed by ${issue.claimant ?? issue.address}`;
}
