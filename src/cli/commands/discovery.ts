import type { Command } from "commander";
import { loadConfigFile, parseDuration, resolveConfigPath } from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import {
  type DeviceReport,
  type DiscoveredDevice,
  discover,
  interrogate,
  OnvifCallError,
} from "../../discovery/index.js";
import { credentialsFrom, deviceXAddr, withInventory } from "../camera-access.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  formatTable,
  globalOptions,
  printJson,
  printLines,
} from "../context.js";

const collect = (value: string, previous: string[]) => [...previous, value];

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

/** A report for a device we could find but not interrogate, so the inventory still knows it. */
function bareReport(device: DiscoveredDevice, xaddr: string, problem: string): DeviceReport {
  return {
    xaddr,
    address: device.addresses[0] ?? new URL(xaddr).hostname,
    manufacturer: undefined,
    model: device.scopes.hardware,
    firmwareVersion: undefined,
    serialNumber: undefined,
    hardwareId: undefined,
    mac: device.scopes.mac,
    clockOffsetMs: undefined,
    dateTimeType: undefined,
    services: {},
    scopes: [],
    name: device.scopes.name,
    location: device.scopes.location,
    profiles: [],
    warnings: [problem],
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
          for (const warning of warnings) ctx.stderr.write(`warning: ${warning}\n`);
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
    const { config } = await loadConfigFile(
      resolveConfigPath(globalOptions(command).config, ctx.env),
      ctx.env,
    );
    const logger = cliLogger(command, ctx, config);
    await withInventory(config, logger, async ({ inventory, vault, repos }) => {
      const counts = { new: 0, changed: 0, unchanged: 0, failed: 0 };
      for (const device of devices) {
        if (!device.xaddr) continue;
        const known = repos.cameras.findByIdentity({
          urn: device.urn,
          mac: device.scopes.mac ?? null,
        });
        let report: DeviceReport;
        try {
          report = await interrogate(device.xaddr, {
            credentials: vault.forCamera(known?.id),
            callTimeoutMs: config.discovery.callTimeout,
          });
        } catch (error) {
          counts.failed++;
          ctx.stderr.write(`${device.addresses[0] ?? device.urn}: ${(error as Error).message}\n`);
          report = bareReport(device, device.xaddr, (error as Error).message);
        }
        counts[inventory.record(report, device.urn).change]++;
      }
      ctx.stderr.write(
        `saved: ${counts.new} new, ${counts.changed} changed, ${counts.unchanged} unchanged; ${counts.failed} could not be interrogated\n`,
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
    .option(
      "-p, --password <password>",
      "password (prefer --password-stdin: the command line is visible to others)",
    )
    .option("--password-stdin", "read the password from standard input")
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
