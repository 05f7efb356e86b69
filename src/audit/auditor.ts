import type { Config } from "../config/index.js";
import { CamgateError } from "../errors.js";
import { eachLimited } from "../lifecycle/index.js";
import {
  type BaselineId,
  CONTROLS,
  type ControlDefinition,
  INTERPRETATION_NOTICE,
  inBaseline,
} from "./catalogue.js";
import { CHECKS } from "./checks/index.js";
import { note } from "./checks/check.js";
import { errorSaid, mapSaid, said } from "./said.js";
import { OnvifCallError } from "../discovery/index.js";
import { AuditContext, type AuditSettings, type AuditTarget } from "./context.js";
import type { LoginBudget } from "./login-budget.js";
import type { AuditReport, CheckOutcome, ControlResult } from "./types.js";
import { summarize } from "./report/summary.js";
import type { AuditData } from "./vendor-data.js";

/** Checks run side by side within one camera; the default-credential tries run last, alone. */
const CHECKS_IN_PARALLEL = 4;
const RUN_LAST = "auth.default-credentials";

/**
 * Controls that only ONVIF can answer (the camera's accounts, policies, clock, logs, identity,
 * snapshot address): skipped, with the reason, for a camera added by its RTSP URL. The rest
 * (ports, RTSP and HTTP authentication, TLS, factory passwords on HTTP and RTSP) still run.
 */
export const ONVIF_ONLY_CONTROLS: ReadonlySet<string> = new Set([
  "auth.unauthenticated-onvif",
  "auth.unauthenticated-snapshot",
  "auth.wsse-freshness",
  "auth.lockout-policy",
  "auth.password-policy",
  "auth.accounts",
  "services.cloud-p2p",
  "services.preauth-disclosure",
  "firmware.known-vulnerable",
  "time.clock-skew",
  "time.ntp",
  "logging.system-log",
]);

const ONVIF_OFF = said(
  "not tested: ONVIF is off on this camera (it was added by its RTSP URL), and this control needs ONVIF",
  "chưa kiểm tra: camera này tắt ONVIF (được thêm bằng địa chỉ RTSP), mà mục này cần ONVIF",
);

export class AuditSettingsError extends CamgateError {}

/** Opt-in ids must name opt-in controls: a typo must not silently skip a check. */
export function validateOptIns(enable: readonly string[]): void {
  const optIn = CONTROLS.filter((control) => control.optIn).map((control) => control.id);
  const unknown = enable.filter((id) => !optIn.includes(id));
  if (unknown.length > 0) {
    throw new AuditSettingsError(
      `not an opt-in check: ${unknown.join(", ")} (opt-in checks: ${optIn.join(", ")})`,
      { exitCode: 2 },
    );
  }
}

async function runCheck(
  control: ControlDefinition,
  ctx: AuditContext,
  timeoutMs: number,
): Promise<CheckOutcome> {
  const check = CHECKS.get(control.id);
  if (!check)
    return {
      status: "error",
      evidence: [
        note(
          said(`no check implements ${control.id}`, `chưa có phép kiểm tra nào cho ${control.id}`),
        ),
      ],
    };
  if (ctx.signal.aborted)
    return {
      status: "unknown",
      evidence: [
        note(
          said(
            "the audit run's time limit was reached before this check",
            "lần kiểm tra đã hết thời gian cho phép trước khi đến mục này",
          ),
        ),
      ],
    };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: "unknown",
          evidence: [
            note(
              said(
                `no conclusion within ${timeoutMs} ms: the camera stopped answering`,
                `không có kết luận trong ${timeoutMs} ms: camera đã ngừng trả lời`,
              ),
            ),
          ],
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([check.run(ctx), deadline]);
  } catch (error) {
    if (ctx.signal.aborted)
      return {
        status: "unknown",
        evidence: [
          note(
            said(
              "the audit run's time limit was reached",
              "lần kiểm tra đã hết thời gian cho phép",
            ),
          ),
        ],
      };
    return {
      status: "error",
      evidence: [
        note(
          mapSaid(
            errorSaid(error),
            (why, lang) => `${lang === "vi" ? "phép kiểm tra bị lỗi" : "the check failed"}: ${why}`,
          ),
        ),
      ],
    };
  } finally {
    clearTimeout(timer);
  }
}

function result(control: ControlDefinition, outcome: CheckOutcome): ControlResult {
  return {
    id: control.id,
    title: control.title,
    severity: outcome.severity ?? control.severity,
    status: outcome.status,
    refs: control.refs,
    evidence: outcome.evidence,
    ...(outcome.status === "fail" ? { remediation: control.remediation } : {}),
  };
}

/**
 * Audits one camera against a baseline: interrogates it once, runs every check of the baseline
 * with a bound on parallel checks, one deadline per check and one for the run, and returns the
 * report (unsigned). A camera that disappears yields unknown results, never a hang.
 */
export async function auditCamera(
  target: AuditTarget,
  settings: AuditSettings,
  data: AuditData,
  options: { signal?: AbortSignal; budget?: LoginBudget } = {},
): Promise<AuditReport> {
  validateOptIns(settings.enable);
  const startedAt = new Date();
  const signal = AbortSignal.any([
    AbortSignal.timeout(settings.runTimeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const ctx = new AuditContext(target, settings, data, signal, options.budget);
  await ctx.prepare();
  const checkTimeoutMs = settings.probeTimeoutMs * 8;
  const outcomes = new Map<string, CheckOutcome>();
  const runnable: ControlDefinition[] = [];
  for (const control of CONTROLS) {
    if (!inBaseline(control, settings.baseline)) {
      outcomes.set(control.id, {
        status: "not_applicable",
        evidence: [
          note(
            said(
              `not part of baseline ${settings.baseline}`,
              `không thuộc tiêu chuẩn ${settings.baseline}`,
            ),
          ),
        ],
      });
    } else if (target.xaddr === undefined && ONVIF_ONLY_CONTROLS.has(control.id)) {
      outcomes.set(control.id, { status: "skipped", evidence: [note(ONVIF_OFF)] });
    } else if (control.optIn && !settings.enable.includes(control.id)) {
      outcomes.set(control.id, {
        status: "skipped",
        evidence: [
          note(
            said(
              `opt-in check: enable it with --enable ${control.id}`,
              `phép kiểm tra chỉ chạy khi được bật: thêm --enable ${control.id}`,
            ),
          ),
        ],
      });
    } else {
      runnable.push(control);
    }
  }
  await eachLimited(
    runnable.filter((control) => control.id !== RUN_LAST),
    CHECKS_IN_PARALLEL,
    async (control) => {
      outcomes.set(control.id, await runCheck(control, ctx, checkTimeoutMs));
    },
  );
  const last = runnable.find((control) => control.id === RUN_LAST);
  if (last) {
    const triesTimeout = checkTimeoutMs + settings.credentialTrySpacingMs * 9;
    outcomes.set(last.id, await runCheck(last, ctx, triesTimeout));
  }
  const controls = CONTROLS.map((control) =>
    result(
      control,
      outcomes.get(control.id) ?? {
        status: "error",
        evidence: [note(said("not run", "chưa chạy"))],
      },
    ),
  );
  const device = ctx.device;
  return {
    camera: {
      ...(target.cameraId ? { id: target.cameraId } : {}),
      address: target.host,
      ...(device?.manufacturer ? { manufacturer: device.manufacturer } : {}),
      ...(device?.model ? { model: device.model } : {}),
      ...(device?.firmwareVersion ? { firmwareVersion: device.firmwareVersion } : {}),
    },
    baseline: settings.baseline,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    summary: summarize(controls),
    access: {
      credentials: ctx.suppliedCredentials,
      interrogation: !ctx.onvifOn
        ? "onvif-off"
        : ctx.deviceError === undefined
          ? "ok"
          : ctx.deviceError instanceof OnvifCallError
            ? ctx.deviceError.kind
            : "malformed",
    },
    controls,
    interpretation: INTERPRETATION_NOTICE,
  };
}

/** The audit settings of the configuration, with command-line overrides. */
export function settingsFromConfig(
  config: Config["audit"],
  overrides: { baseline?: BaselineId; enable?: readonly string[] } = {},
): AuditSettings {
  return {
    baseline: overrides.baseline ?? config.baseline,
    enable: [...new Set([...config.enable, ...(overrides.enable ?? [])])],
    probeTimeoutMs: config.probeTimeout,
    runTimeoutMs: config.runTimeout,
    credentialTrySpacingMs: config.credentialTrySpacing,
    lockout: { maxFailures: config.lockout.maxFailures, windowMs: config.lockout.window },
  };
}
