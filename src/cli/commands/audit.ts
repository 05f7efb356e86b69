import { writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import {
  AuditRunner,
  type AuditTarget,
  diffReports,
  hasBlockingFailure,
  loadAuditData,
  renderHtml,
  renderTable,
  settingsFromConfig,
  validateOptIns,
} from "../../audit/index.js";
import { BASELINES } from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import type { Credentials } from "../../discovery/index.js";
import { credentialsFrom, deviceXAddr, withInventory } from "../camera-access.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  collect,
  exitWith,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

interface AuditOptions {
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  baseline?: (typeof BASELINES)[number];
  enable: string[];
  html?: string;
  sinceLast?: boolean;
}

export function registerAuditCommand(program: Command, ctx: CliContext, outcome: CliOutcome): void {
  program
    .command("audit")
    .description(
      "check cameras against the national IP-camera security baseline with read-only probes " +
        `(exit ${ExitCode.auditFailed} when a high or critical control fails)`,
    )
    .argument(
      "[target]",
      "camera id, device-service URL, host or host:port; default: every enabled camera",
    )
    .option("-u, --user <user>", "username (default: the credentials stored for the camera)")
    .option(
      "-p, --password <password>",
      "password (prefer --password-stdin: the command line is visible to others)",
    )
    .option("--password-stdin", "read the password from standard input")
    .addOption(
      new Option("--baseline <id>", "baseline to report against (default: audit.baseline)").choices(
        BASELINES,
      ),
    )
    .option("--enable <id>", "run this opt-in check (repeatable)", collect, [])
    .option("--html <file>", "also write a self-contained, printable HTML report")
    .option("--since-last", "show what changed since the previous report of each camera")
    .action(
      exitWith(
        outcome,
        async (target: string | undefined, options: AuditOptions, command: Command) => {
          validateOptIns(options.enable);
          const supplied = await credentialsFrom(options, ctx);
          const { config } = await loadCommandConfig(command, ctx);
          const logger = cliLogger(command, ctx, config);
          const json = globalOptions(command).json === true;
          const results = await withInventory(config, logger, async ({ repos, vault }) => {
            const runner = new AuditRunner({
              repos,
              vault,
              data: loadAuditData(),
              settings: settingsFromConfig(config.audit, {
                baseline: options.baseline,
                enable: options.enable,
              }),
              concurrency: config.audit.concurrency,
              signingKeyFile: config.uplink.key,
              logger: logger.child({ component: "audit" }),
              basicAuthAllowed: (id) => config.recorder.cameras[id]?.allowBasicAuth === true,
            });
            const targets =
              target === undefined
                ? runner.enabledTargets()
                : [resolveTarget(target, runner, repos.cameras.list(), supplied)];
            if (targets.length === 0)
              throw new CamgateError(
                "no enabled camera in the inventory: run discover --save or name a target",
              );
            const progress = ctx.stderr.isTTY === true && !json;
            const done = await runner.runEach(targets, {
              onDone: progress
                ? (count) => ctx.stderr.write(`\raudited ${count}/${targets.length}`)
                : undefined,
            });
            if (progress) ctx.stderr.write("\r\x1b[K");
            return done.sort((a, b) =>
              a.report.camera.address.localeCompare(b.report.camera.address, "en", {
                numeric: true,
              }),
            );
          });
          const reports = results.map((result) => result.report);
          if (options.html) await writeFile(options.html, renderHtml(reports), { mode: 0o640 });
          if (json) {
            const shaped = results.map(({ report, previous }) =>
              options.sinceLast
                ? { ...report, changes: previous ? diffReports(previous, report) : null }
                : report,
            );
            printJson(ctx, target === undefined ? shaped : shaped[0]);
          } else {
            const colour = ctx.stdout.isTTY === true && ctx.env.NO_COLOR === undefined;
            for (const { report, previous } of results) {
              const changes = options.sinceLast
                ? previous
                  ? diffReports(previous, report)
                  : []
                : undefined;
              printLines(ctx, [
                ...renderTable(report, { colour, ...(changes ? { changes } : {}) }),
                "",
              ]);
              if (options.sinceLast && !previous)
                printLines(ctx, ["(no previous report of this camera)", ""]);
            }
          }
          return reports.some(hasBlockingFailure) ? ExitCode.auditFailed : ExitCode.ok;
        },
      ),
    );
}

/** A camera id from the inventory, or an address (matched to the inventory by IP when it can be). */
function resolveTarget(
  text: string,
  runner: AuditRunner,
  cameras: Parameters<AuditRunner["targetFor"]>[0][],
  supplied: Credentials | undefined,
): AuditTarget {
  const known = cameras.find((camera) => camera.id === text);
  if (known) {
    const target = runner.targetFor(known);
    if (!target) throw new CamgateError(`camera ${text} has no known address`);
    return supplied ? { ...target, credentials: supplied } : target;
  }
  const xaddr = deviceXAddr(text);
  const host = new URL(xaddr).hostname;
  const byAddress = cameras.find((camera) => camera.ip === host);
  const stored = byAddress ? runner.targetFor(byAddress) : undefined;
  return {
    host,
    xaddr,
    cameraId: byAddress?.id,
    credentials: supplied ?? stored?.credentials,
    allowBasicAuth: stored?.allowBasicAuth,
  };
}
