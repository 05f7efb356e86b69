import type { Command } from "commander";
import { formatBytes } from "../../config/units.js";
import { ExitCode } from "../../errors.js";
import { withStore } from "../camera-access.js";
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
import { type BoxStatus, type CameraStatus, gatherStatus } from "../../health/index.js";
import { formatDateTimeZone } from "../../i18n/time.js";

function age(seconds: number | null): string {
  if (seconds === null) return "never";
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function auditCell(audit: CameraStatus["audit"]): string {
  if (!audit) return "not audited";
  const { pass = 0, fail = 0, unknown = 0 } = audit.summary;
  return `${pass} pass, ${fail} fail, ${unknown} unknown`;
}

/** camgate and Node.js installed, and what the running agent runs when that differs. */
function softwareLine({ software, service }: BoxStatus): string {
  const installed = `camgate ${software.version}, Node.js ${software.node}`;
  if (service.version === null) return installed;
  const running = `camgate ${service.version}, Node.js ${service.node ?? "?"}`;
  return running === installed ? installed : `${installed} (the running agent: ${running})`;
}

function updateLine(update: BoxStatus["software"]["lastUpdate"], timeZone: string): string {
  if (update === null) return "none recorded";
  if ("error" in update) return update.error;
  const when = formatDateTimeZone(update.finishedAt, timeZone);
  const via = update.source === "uplink" ? "over the uplink" : "from a file";
  const why = update.reason === null ? "" : `: ${update.reason}`;
  if (update.what === "config") {
    const outcome = update.result === "installed" ? "applied" : update.result;
    return `new config ${outcome} (${via}) ${when}${why}`;
  }
  switch (update.result) {
    case "installed":
      return `installed ${update.version}, replacing ${update.fromVersion} (${via}) ${when}`;
    case "rolled-back":
      return `${update.version} rolled back to ${update.fromVersion} (${via}) ${when}${why}`;
    case "refused":
      return `${update.version} refused (${via}) ${when}${why}`;
    case "failed":
      return `${update.version} failed (${via}) ${when}${why}`;
  }
}

function render(report: BoxStatus, timeZone: string): string[] {
  const { site, service, certificate, uplink, storage } = report;
  const lines = [
    `site      ${site.id}${site.name ? ` (${site.name})` : ""}`,
    `service   ${service.state}${
      service.pid
        ? `, pid ${service.pid} since ${service.since ? formatDateTimeZone(service.since, timeZone) : "?"}`
        : ""
    }`,
    `software  ${softwareLine(report)}`,
    `update    ${updateLine(report.software.lastUpdate, timeZone)}`,
    `cert      ${
      certificate === null
        ? uplink.configured
          ? "none configured"
          : "not used (no uplink)"
        : "error" in certificate
          ? certificate.error
          : `${certificate.daysLeft} days left (until ${formatDateTimeZone(certificate.notAfter, timeZone)})`
    }`,
    `uplink    ${
      !uplink.configured
        ? "not configured"
        : uplink.connected === null
          ? "unknown (agent not running)"
          : uplink.connected
            ? `connected to ${uplink.broker ?? "?"}`
            : `down${uplink.lastError ? `: ${uplink.lastError}` : ""}`
    }; outbox ${uplink.outbox.messages} messages; video backlog ${uplink.videoBacklog.segments} segments (${formatBytes(uplink.videoBacklog.bytes)})`,
    `storage   ${formatBytes(storage.storedBytes)} of ${
      storage.quotaBytes === null ? "?" : formatBytes(storage.quotaBytes)
    } quota, ${formatBytes(storage.lockedBytes)} locked, ${
      storage.freeBytes === null ? "?" : formatBytes(storage.freeBytes)
    } free (${storage.dir})`,
    "",
    ...(report.cameras.length === 0
      ? ["no cameras in the inventory yet (camgate discover --save, or camgate cameras add)"]
      : cameraTable(report.cameras, report.service.state !== "stopped")),
    "",
  ];
  if (report.attention.length === 0) lines.push("all well");
  else lines.push("needs attention:", ...report.attention.map((reason) => `  - ${reason}`));
  return lines;
}

/** With the agent stopped, nobody watches the cameras: their last state is not news. */
function cameraTable(cameras: readonly CameraStatus[], watched: boolean): string[] {
  return formatTable(
    ["CAMERA", "IP", "ONLINE", "RECORDING", "LAST SEGMENT", "TODAY", "LAST AUDIT"],
    cameras.map((camera) => [
      camera.trust === "pending"
        ? `${camera.id} (pending)`
        : camera.enabled
          ? camera.id
          : `${camera.id} (disabled)`,
      camera.ip ?? "-",
      watched ? (camera.online ? "yes" : "no") : "-",
      camera.refused !== null
        ? "refused"
        : camera.recording === null
          ? "-"
          : camera.recording
            ? "yes"
            : "no",
      age(camera.lastSegmentAgeSeconds),
      formatBytes(camera.bytesToday),
      auditCell(camera.audit),
    ]),
  );
}

export function registerStatusCommand(
  program: Command,
  ctx: CliContext,
  outcome: CliOutcome,
): void {
  program
    .command("status")
    .description(
      "the box on one screen: service, certificate, uplink, cameras, disk; exits 1 when something needs attention",
    )
    .action(
      exitWith(outcome, async (_options: unknown, command: Command) => {
        const { config } = await loadCommandConfig(command, ctx);
        const report = await withStore(config, cliLogger(command, ctx, config), (repos) =>
          gatherStatus(config, repos),
        );
        if (globalOptions(command).json) printJson(ctx, report);
        else printLines(ctx, render(report, config.site.timezone));
        return report.attention.length === 0 ? ExitCode.ok : ExitCode.failure;
      }),
    );
}
