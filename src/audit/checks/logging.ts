import { type Check, note, outcome } from "./check.js";

const BODY = "<tds:GetSystemLog><tds:LogType>System</tds:LogType></tds:GetSystemLog>";

const systemLog: Check = {
  id: "logging.system-log",
  async run(ctx) {
    const anonymous = await ctx.onvif(BODY, { anonymous: true, label: "GetSystemLog" });
    if (anonymous.ok)
      return outcome("fail", [
        anonymous.evidence,
        note("the system log is readable without credentials"),
      ]);
    if (!ctx.credentials)
      return outcome("unknown", [
        anonymous.evidence,
        note("without credentials it cannot be told whether a log exists"),
      ]);
    const authenticated = await ctx.onvif(BODY, { label: "GetSystemLog" });
    const evidence = [anonymous.evidence, authenticated.evidence];
    if (authenticated.ok) return outcome("pass", evidence);
    return outcome("unknown", [
      ...evidence,
      note("no system log is readable over ONVIF; check the web interface"),
    ]);
  },
};

export const LOGGING_CHECKS: Check[] = [systemLog];
