import { access, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { type Command, Option } from "commander";
import {
  type AuditReport,
  AuditRunner,
  type AuditTarget,
  diffReports,
  hasBlockingFailure,
  loadAuditData,
  ONVIF_ONLY_CONTROLS,
  renderHtml,
  renderTable,
  settingsFromConfig,
  validateOptIns,
} from "../../audit/index.js";
import {
  BASELINES,
  type Config,
  DEFAULT_CONFIG_PATH,
  parseConfigText,
} from "../../config/index.js";
import { CamgateError, ExitCode } from "../../errors.js";
import { type Lang, LANGS } from "../../i18n/index.js";
import type { CredentialVault, Credentials } from "../../discovery/index.js";
import type { Repositories } from "../../store/index.js";
import {
  credentialsFrom,
  deviceXAddr,
  PASSWORD_STDIN_HELP,
  refusedPasswordOption,
  withInventory,
  withStore,
} from "../camera-access.js";
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
  terminalSafeDeep,
} from "../context.js";

interface AuditOptions {
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  baseline?: (typeof BASELINES)[number];
  enable: string[];
  html?: string;
  sinceLast?: boolean;
  lang?: Lang;
}

interface AuditAccess {
  repos: Repositories;
  vault: CredentialVault | undefined;
}

/**
 * The box's configuration; or, for an address audited where there is none (a technician's
 * laptop: no --config, no CAMGATE_CONFIG, no file at the default path), the defaults with an
 * in-memory store and no sealing key: nothing is written, credentials come from -u.
 */
async function auditConfig(
  target: string | undefined,
  command: Command,
  ctx: CliContext,
): Promise<{ config: Config; adHoc: boolean }> {
  const chosen = globalOptions(command).config ?? ctx.env.CAMGATE_CONFIG;
  const present = await access(DEFAULT_CONFIG_PATH).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== "ENOENT",
  );
  if (target === undefined || chosen !== undefined || present)
    return { config: (await loadCommandConfig(command, ctx)).config, adHoc: false };
  ctx.stderr.write(
    `no configuration at ${DEFAULT_CONFIG_PATH}: ad-hoc audit with the default settings; nothing is stored\n`,
  );
  // The CLI's own log level without a configuration: warnings only.
  const defaults = 'site: {id: ad-hoc}\nstore: {path: ":memory:"}\nlog: {level: warn}\n';
  return { config: parseConfigText(defaults, "(ad-hoc audit defaults)", ctx.env), adHoc: true };
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
    .option("--password-stdin", PASSWORD_STDIN_HELP)
    .addOption(refusedPasswordOption())
    .addOption(
      new Option("--baseline <id>", "baseline to report against (default: audit.baseline)").choices(
        BASELINES,
      ),
    )
    .option("--enable <id>", "run this opt-in check (repeatable)", collect, [])
    .option("--html <file>", "also write a self-contained, printable HTML report")
    .option("--since-last", "show what changed since the previous report of each camera")
    .addOption(
      new Option(
        "--lang <lang>",
        "language of the table and HTML report (default: site.locale)",
      ).choices(LANGS),
    )
    .action(
      exitWith(
        outcome,
        async (target: string | undefined, options: AuditOptions, command: Command) => {
          validateOptIns(options.enable);
          const supplied = await credentialsFrom(options, ctx);
          const { config, adHoc } = await auditConfig(target, command, ctx);
          const logger = cliLogger(command, ctx, config);
          const json = globalOptions(command).json === true;
          const audit = async ({ repos, vault }: AuditAccess) => {
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
          };
          const results = adHoc
            ? await withStore(config, logger, (repos) => audit({ repos, vault: undefined }))
            : await withInventory(config, logger, audit);
          const reports = results.map((result) => result.report);
          const lang = options.lang ?? config.site.locale;
          const timeZone = config.site.timezone;
          if (options.html)
            await writeFile(
              options.html,
              renderHtml(reports, { lang, timeZone, site: config.site, box: hostname() }),
              { mode: 0o640 },
            );
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
              // What the camera said is stripped of control characters; the colours are ours.
              const lines = renderTable(terminalSafeDeep(report), {
                colour,
                lang,
                timeZone,
                ...(changes ? { changes } : {}),
              });
              const problem = accessProblem(report, lang) ?? onvifOffNotice(report, lang);
              printLines(ctx, [...(problem ? [problem, ""] : []), ...lines, ""], { colour });
              if (options.sinceLast && !previous) printLines(ctx, [NO_PREVIOUS[lang], ""]);
            }
          }
          if (reports.some(hasBlockingFailure)) return ExitCode.auditFailed;
          // An audit that could not look at the camera is no verdict: it fails.
          return reports.some((report) => accessProblem(report, lang) !== undefined)
            ? ExitCode.failure
            : ExitCode.ok;
        },
      ),
    );
}

/** What kept the audit from looking at a camera, said first; undefined when nothing did. */
function accessProblem(report: AuditReport, lang: Lang): string | undefined {
  const access = report.access;
  const who = report.camera.id ?? report.camera.address;
  if (access?.credentials === "refused")
    return lang === "vi"
      ? `TỪ CHỐI ĐĂNG NHẬP: camera ${who} không chấp nhận tên đăng nhập hoặc mật khẩu đã cho, nên phần lớn các mục không kiểm tra được. Sửa: camgate cameras credentials ${who} -u USER --password-stdin`
      : `CREDENTIALS REFUSED: camera ${who} refused the username or password given, so most controls could not be checked. Fix: camgate cameras credentials ${who} -u USER --password-stdin`;
  if (access?.interrogation === "onvif-off") return undefined;
  if (access && access.interrogation !== "ok" && access.interrogation !== "not-authorized")
    return lang === "vi"
      ? `KHÔNG KẾT NỐI ĐƯỢC: không hỏi được camera ${who} qua ONVIF (${access.interrogation}); nhiều mục không kiểm tra được`
      : `NOT REACHED: camera ${who} could not be interrogated over ONVIF (${access.interrogation}); many controls could not be checked`;
  return undefined;
}

/** An audit without ONVIF (a camera added by its RTSP URL): what it did not test, said first. */
function onvifOffNotice(report: AuditReport, lang: Lang): string | undefined {
  if (report.access?.interrogation !== "onvif-off") return undefined;
  const who = report.camera.id ?? report.camera.address;
  const skipped = report.controls.filter(
    (control) => control.status === "skipped" && ONVIF_ONLY_CONTROLS.has(control.id),
  ).length;
  return lang === "vi"
    ? `ONVIF TẮT: camera ${who} được thêm bằng địa chỉ RTSP; ${skipped} mục cần ONVIF chưa được kiểm tra (BỎ QUA); các mục khác được kiểm tra qua các cổng, RTSP, HTTP và TLS`
    : `ONVIF OFF: camera ${who} was added by its RTSP URL; ${skipped} controls that need ONVIF were not tested (SKIPPED); the others were probed over its ports, RTSP, HTTP and TLS`;
}

const NO_PREVIOUS: Record<Lang, string> = {
  en: "(no previous report of this camera)",
  vi: "(chưa có báo cáo trước của camera này)",
};

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
  // A camera added by its RTSP URL is audited as the inventory knows it: without ONVIF.
  if (stored && stored.xaddr === undefined)
    return supplied ? { ...stored, credentials: supplied } : stored;
  return {
    host,
    xaddr,
    cameraId: byAddress?.id,
    credentials: supplied ?? stored?.credentials,
    allowBasicAuth: stored?.allowBasicAuth,
  };
}
