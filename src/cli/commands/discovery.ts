import type { Command } from "commander";
import { parseDuration } from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import {
  type DeviceReport,
  type DiscoveredDevice,
  discover,
  interrogate,
  OnvifCallError,
  surveyDevice,
} from "../../discovery/index.js";
import {
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
  collect,
  exitWith,
  formatTable,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
  terminalSafe,
} from "../context.js";

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new CamgateError(`not a duration: ${text} (e.g. 3s)`, { exitCode: ExitCode.usage });
  return ms;
}

function discoveredJson(device: DiscoveredDevice) {
  return {
    urn: device.urn,
    addresses: device.addresses,
    xaddrs: device.xaddrs,
    scopes: device.scopes,
    hardware: device.scopes.hardware,
    name: device.scopes.name,
    location: device.scopes.location,
    ...(device.errors.length > 0 ? { errors: device.errors } : {}),
  };
}

export function inspectJson(report: DeviceReport) {
  return {
    manufacturer: report.manufacturer,
    model: report.model,
    firmwareVersion: report.firmwareVersion,
    serialNumber: report.serialNumber,
    hardwareId: report.hardwareId,
    mac: report.mac,
    clockOffsetMs: report.clockOffsetMs,
    services: report.services,
    profiles: report.profiles.map((p) => ({
      token: p.token,
      name: p.name,
      encoding: p.encoding,
      width: p.width,
      height: p.height,
      fps: p.fps,
      streamUri: p.streamUri,
      snapshotUri: p.snapshotUri,
    })),
    warnings: report.warnings,
  };
}

export function registerDiscoveryCommands(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("discover")
    .description("find ONVIF cameras by WS-Discovery (multicast, and unicast to --cidr ranges)")
    .option(
      "--cidr <cidr>",
      "also probe every address of this IPv4 range by unicast (repeatable)",
      collect,
      [],
    )
    .option(
      "--interface <name>",
      "send multicast probes on this interface only (repeatable)",
      collect,
      [],
    )
    .option("--timeout <duration>", "how long to wait for answers", "3s")
    .option("--no-multicast", "unicast probes to --cidr ranges only")
    .option(
      "--save",
      "interrogate what was found and record it in the inventory (needs the configuration)",
    )
    .action(
      exitWith(
        outcome,
        async (
          options: {
            cidr: string[];
            interface: string[];
            timeout: string;
            multicast: boolean;
            save?: boolean;
          },
          command: Command,
        ) => {
          const json = globalOptions(command).json === true;
          const progress = ctx.stderr.isTTY === true && !json;
          let found = 0;
          const { devices, warnings } = await discover({
            cidrs: options.cidr,
            interfaces: options.interface,
            timeoutMs: durationMs(options.timeout),
            multicast: options.multicast,
            onDevice: progress
              ? () => ctx.stderr.write(`\rprobing... ${String(++found)} found`)
              : undefined,
          }).catch((error: unknown) => {
            throw new CamgateError(`discovery failed: ${(error as Error).message}`, {
              cause: error,
            });
          });
          if (progress) ctx.stderr.write("\r\x1b[K");
          for (const warning of warnings) ctx.stderr.write(`warning: ${terminalSafe(warning)}\n`);
          devices.sort((a, b) =>
            (a.addresses[0] ?? "").localeCompare(b.addresses[0] ?? "", "en", { numeric: true }),
          );
          if (json) printJson(ctx, devices.map(discoveredJson));
          else
            printLines(
              ctx,
              formatTable(
                ["ADDRESS", "NAME", "HARDWARE", "URN", "XADDR"],
                devices.map((d) => [
                  d.addresses.join(","),
                  d.scopes.name ?? "",
                  d.scopes.hardware ?? "",
                  d.urn,
                  d.xaddr ?? d.errors.join("; "),
                ]),
              ),
            );
          if (options.save) await save(devices, command);
          return ExitCode.ok;
        },
      ),
    );
  async function save(devices: DiscoveredDevice[], command: Command): Promise<void> {
    const { config } = await loadCommandConfig(command, ctx);
    await withInventory(config, cliLogger(command, ctx, config), async (access) => {
      const counts = { new: 0, changed: 0, unchanged: 0, pending: 0, ignored: 0, failed: 0 };
      for (const device of devices) {
        if (!device.xaddr) continue;
        const result = await surveyDevice(device, device.xaddr, {
          ...access,
          callTimeoutMs: config.discovery.callTimeout,
          limits: config.discovery,
          autoApprove: config.discovery.autoApprove,
        });
        if ("skipped" in result) {
          counts.ignored++;
          continue;
        }
        counts[result.change]++;
        if (result.camera.trust === "pending") counts.pending++;
        if (result.error) {
          counts.failed++;
          ctx.stderr.write(
            terminalSafe(`${device.addresses[0] ?? device.urn}: ${result.error.message}`) + "\n",
          );
        }
      }
      ctx.stderr.write(
        `saved: ${counts.new} new, ${counts.changed} changed, ${counts.unchanged} unchanged; ` +
          `${counts.failed} could not be interrogated; ${counts.ignored} ignored (no ONVIF answer or inventory full)\n`,
      );
      if (counts.pending > 0)
        ctx.stderr.write(
          `${counts.pending} device(s) await approval: camgate cameras list, then camgate cameras approve ID\n`,
        );
    });
  }

  program
    .command("inspect")
    .description(
      "interrogate one ONVIF device: identity, clock offset, services, profiles and stream URIs",
    )
    .argument("<target>", "device-service URL, host, or host:port")
    .option("-u, --user <user>", "username")
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
    .option("--timeout <duration>", "timeout of one call", "5s")
    .action(
      exitWith(
        outcome,
        async (
          target: string,
          options: { user?: string; password?: string; passwordStdin?: boolean; timeout: string },
          command: Command,
        ) => {
          const credentials = await credentialsFrom(options, ctx);
          const callTimeoutMs = durationMs(options.timeout);
          const report = await interrogate(deviceXAddr(target), {
            credentials,
            callTimeoutMs,
            deviceTimeoutMs: callTimeoutMs * 6,
          }).catch((error: unknown) => {
            if (error instanceof OnvifCallError && error.kind === "not-authorized") {
              throw new CamgateError(`${error.message}: check the username and password`, {
                cause: error,
              });
            }
            throw error;
          });
          if (globalOptions(command).json) {
            printJson(ctx, inspectJson(report));
            return ExitCode.ok;
          }
          const skew =
            report.clockOffsetMs === undefined
              ? "unknown"
              : `${(report.clockOffsetMs / 1000).toFixed(1)} s`;
          printLines(ctx, [
            `${report.manufacturer ?? "?"} ${report.model ?? "?"}, firmware ${report.firmwareVersion ?? "?"}, serial ${report.serialNumber ?? "?"}`,
            `MAC ${report.mac ?? "unknown"}, clock offset ${skew} (${report.dateTimeType ?? "?"})`,
            "",
            ...formatTable(
              ["PROFILE", "NAME", "ENCODING", "SIZE", "FPS", "STREAM"],
              report.profiles.map((p) => [
                p.token,
                p.name ?? "",
                p.encoding ?? "",
                p.width && p.height ? `${p.width}x${p.height}` : "",
                p.fps === undefined ? "" : String(p.fps),
                p.streamUri ?? "",
              ]),
            ),
            ...report.warnings.map((warning) => `warning: ${warning}`),
          ]);
          return ExitCode.ok;
        },
      ),
    );
}
