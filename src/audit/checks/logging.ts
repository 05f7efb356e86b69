import { said } from "../said.js";
import { type Check, note, outcome } from "./check.js";

const BODY = "<tds:GetSystemLog><tds:LogType>System</tds:LogType></tds:GetSystemLog>";

const systemLog: Check = {
  id: "logging.system-log",
  async run(ctx) {
    const anonymous = await ctx.onvif(BODY, { anonymous: true, label: "GetSystemLog" });
    if (anonymous.ok)
      return outcome("fail", [
        anonymous.evidence,
        note(
          said(
            "the system log is readable without credentials",
            "nhật ký hệ thống đọc được mà không cần đăng nhập",
          ),
        ),
      ]);
    if (!ctx.credentials)
      return outcome("unknown", [
        anonymous.evidence,
        note(
          said(
            "without credentials it cannot be told whether a log exists",
            "không có thông tin đăng nhập thì không biết được camera có ghi nhật ký hay không",
          ),
        ),
      ]);
    const authenticated = await ctx.onvif(BODY, { label: "GetSystemLog" });
    const evidence = [anonymous.evidence, authenticated.evidence];
    if (authenticated.ok) return outcome("pass", evidence);
    return outcome("unknown", [
      ...evidence,
      note(
        said(
          "no system log is readable over ONVIF; check the web interface",
          "không đọc được nhật ký hệ thống nào qua ONVIF; hãy xem trong giao diện web",
        ),
      ),
    ]);
  },
};

export const LOGGING_CHECKS: Check[] = [systemLog];
