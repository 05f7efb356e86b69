import { field, responseOf } from "../xml-summary.js";
import { joined, said } from "../said.js";
import { type Check, note, outcome } from "./check.js";

const MAX_SKEW_MS = 5000;

const clockSkew: Check = {
  id: "time.clock-skew",
  async run(ctx) {
    const clock = await ctx.clock();
    if (clock.offsetMs === undefined) return outcome("unknown", [clock.evidence]);
    const seconds = (clock.offsetMs / 1000).toFixed(1);
    return outcome(Math.abs(clock.offsetMs) > MAX_SKEW_MS ? "fail" : "pass", [
      clock.evidence,
      note(
        said(
          `camera clock minus box clock: ${seconds} s (tolerance ${MAX_SKEW_MS / 1000} s)`,
          `đồng hồ camera lệch so với thiết bị camgate: ${seconds} giây (cho phép ${MAX_SKEW_MS / 1000} giây)`,
        ),
      ),
    ]);
  },
};

const ntp: Check = {
  id: "time.ntp",
  async run(ctx) {
    const clock = await ctx.clock();
    const reply = await ctx.onvif("<tds:GetNTP/>");
    const evidence = [clock.evidence, reply.evidence];
    if (!reply.ok) return outcome("unknown", evidence);
    const info = responseOf(reply.envelope)?.children.find(
      (child) => child.local === "NTPInformation",
    );
    const fromDhcp = field(info, "FromDHCP") === "true";
    const servers = (info?.children ?? []).filter(
      (child) => child.local === "NTPManual" || child.local === "NTPFromDHCP",
    );
    const configured = servers.some((server) =>
      server.children.some((c) => /Address|DNSname/.test(c.local) && c.text.trim() !== ""),
    );
    const used = clock.dateTimeType === "NTP";
    const how = clock.dateTimeType;
    const problems = [
      ...(configured || fromDhcp
        ? []
        : [said("no NTP server configured", "chưa cấu hình máy chủ NTP nào")]),
      ...(used
        ? []
        : [
            said(
              `the clock is set ${how ?? "by an unknown method"}, not by NTP`,
              `đồng hồ được đặt ${how ? `theo kiểu ${how}` : "theo cách không rõ"}, không theo NTP`,
            ),
          ]),
    ];
    return outcome(problems.length === 0 ? "pass" : "fail", [
      ...evidence,
      ...(problems.length > 0 ? [note(joined(problems))] : []),
    ]);
  },
};

export const TIME_CHECKS = [clockSkew, ntp];
