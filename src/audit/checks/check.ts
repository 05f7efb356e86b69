import type { Severity } from "../catalogue.js";
import type { AuditContext } from "../context.js";
import type { CheckOutcome, Evidence, ResultState } from "../types.js";
import { errorSaid, type Said, said } from "../said.js";

/** One control's probe logic; the catalogue supplies its title, severity and references. */
export interface Check {
  id: string;
  run(ctx: AuditContext): Promise<CheckOutcome>;
}

export function outcome(
  status: ResultState,
  evidence: Evidence[],
  severity?: Severity,
): CheckOutcome {
  return severity ? { status, evidence, severity } : { status, evidence };
}

/** camgate's conclusion or remark, in both languages (what a camera said goes in verbatim). */
export function note(text: Said): Evidence {
  return text.vi === text.en
    ? { probe: "note", note: text.en }
    : { probe: "note", note: text.en, vi: { note: text.vi } };
}

/** The answer when a check needs the interrogation and it failed. */
export function needsDevice(ctx: AuditContext, what: Said): CheckOutcome {
  const why = ctx.deviceError ? errorSaid(ctx.deviceError) : said("no answer", "không có trả lời");
  return outcome("unknown", [
    note(
      said(
        `${what.en} needs the camera's ONVIF details, which could not be read: ${why.en}`,
        `${what.vi} cần thông tin ONVIF của camera, nhưng không đọc được: ${why.vi}`,
      ),
    ),
  ]);
}

/** Given credentials are required: without them the control cannot be judged. */
export function needsCredentials(what: Said): CheckOutcome {
  return outcome("unknown", [
    note(
      said(
        `${what.en} needs the camera's credentials (-u/-p or the inventory)`,
        `${what.vi} cần tên đăng nhập và mật khẩu của camera (-u/-p hoặc trong danh mục camera)`,
      ),
    ),
  ]);
}

/** A login not tried: the camera's failed-login budget for this audit is spent. */
export function budgetSpentSaid(ctx: AuditContext): Said {
  const { limit, windowMs } = ctx.budget;
  return said(
    `not tried: the failed logins this camera may take from the audit (${limit} per ${windowMs / 1000} s) are spent`,
    `không thử: số lần đăng nhập sai mà lần kiểm tra được phép gây ra cho camera này (${limit} lần trong ${windowMs / 1000} giây) đã dùng hết`,
  );
}
