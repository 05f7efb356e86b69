import { randomInt } from "node:crypto";
import {
  decodeMessage,
  encodeGetRequest,
  PDU_GET_RESPONSE,
  SYS_DESCR_OID,
} from "../../util/snmp.js";
import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { type PortState, probePort } from "../probes/tcp.js";
import { errorSaid, joined, mapSaid, probeReason, type Said, said, verbatim } from "../said.js";
import { udpExchange } from "../probes/udp.js";
import type { CheckOutcome, Evidence } from "../types.js";
import { field, responseOf } from "../xml-summary.js";
import { type Check, note, outcome } from "./check.js";

/**
 * A closed port only means something if the camera is still there: each port check first makes
 * sure the camera's web port answers, so a camera that went away reads as unknown, not as pass.
 */
export function cameraAlive(ctx: AuditContext): Promise<{ alive: boolean; evidence: Evidence }> {
  return ctx.memo("alive", async () => {
    const { http } = await ctx.ports();
    const state = await probePort(ctx.host, http, {
      timeoutMs: ctx.settings.probeTimeoutMs,
      bannerMs: 1,
      signal: ctx.signal,
    });
    return {
      alive: state.state === "open",
      evidence: ctx.scrub.record("tcp:reference", {
        sent: said(
          `TCP connect ${ctx.host}:${http} (the camera's web port)`,
          `Kết nối TCP tới ${ctx.host}:${http} (cổng web của camera)`,
        ),
        received: portState(state),
      }),
    };
  });
}

/** What a TCP connect found, as the report says it; a banner is the camera's own words. */
function portState(state: PortState): Said {
  if (state.state === "open") return said("open, no banner", "mở, không có lời chào");
  const reason = probeReason(state.reason);
  return state.state === "closed"
    ? mapSaid(reason, (why, lang) => `${lang === "vi" ? "đóng" : "closed"}: ${why}`)
    : mapSaid(reason, (why, lang) => `${lang === "vi" ? "không trả lời" : "no-answer"}: ${why}`);
}

function tcpServiceCheck(id: string, service: Said, ports: number[]): Check {
  return {
    id,
    async run(ctx): Promise<CheckOutcome> {
      const reference = await cameraAlive(ctx);
      if (!reference.alive)
        return outcome("unknown", [
          reference.evidence,
          note(
            said(
              "the camera does not answer, so closed ports prove nothing",
              "camera không trả lời, nên cổng đóng không chứng minh được gì",
            ),
          ),
        ]);
      const evidence: Evidence[] = [];
      const open: number[] = [];
      for (const port of ports) {
        const state = await probePort(ctx.host, port, {
          timeoutMs: ctx.settings.probeTimeoutMs,
          signal: ctx.signal,
        });
        if (state.state === "open") open.push(port);
        evidence.push(
          ctx.scrub.record(`tcp:${port}`, {
            sent: said(
              `TCP connect ${ctx.host}:${port} (${service.en}), no login`,
              `Kết nối TCP tới ${ctx.host}:${port} (${service.vi}), không đăng nhập`,
            ),
            received:
              state.state === "open" && state.banner.length > 0 ? state.banner : portState(state),
          }),
        );
      }
      evidence.push(
        note(
          said(
            `${service.en}: ports checked ${ports.join(", ")} (the standard one and the alternates vendors move it to)${open.length > 0 ? `; open: ${open.join(", ")}` : ""}`,
            `${service.vi}: đã kiểm tra các cổng ${ports.join(", ")} (cổng chuẩn và các cổng thay thế mà hãng hay chuyển sang)${open.length > 0 ? `; đang mở: ${open.join(", ")}` : ""}`,
          ),
        ),
      );
      return outcome(open.length > 0 ? "fail" : "pass", evidence);
    },
  };
}

async function udpServiceOutcome(
  ctx: AuditContext,
  port: number,
  payload: Buffer,
  describe: (reply: Buffer) => { listening: boolean; text: string | Said },
  what: Said,
): Promise<CheckOutcome> {
  const reference = await cameraAlive(ctx);
  if (!reference.alive)
    return outcome("unknown", [
      reference.evidence,
      note(
        said(
          "the camera does not answer, so silence proves nothing",
          "camera không trả lời, nên việc không có trả lời ở cổng này không chứng minh được gì",
        ),
      ),
    ]);
  const answer = await udpExchange(ctx.host, port, payload, {
    timeoutMs: ctx.settings.probeTimeoutMs,
    signal: ctx.signal,
  });
  if (answer.state !== "answered") {
    return outcome("pass", [
      ctx.scrub.record(`udp:${port}`, {
        sent: what,
        received:
          answer.state === "refused"
            ? said("port unreachable", "cổng không tới được (port unreachable)")
            : probeReason(answer.reason),
      }),
    ]);
  }
  const { listening, text } = describe(answer.reply);
  return outcome(listening ? "fail" : "pass", [
    ctx.scrub.record(`udp:${port}`, { sent: what, received: text }),
  ]);
}

const upnp: Check = {
  id: "services.upnp",
  run: (ctx) =>
    udpServiceOutcome(
      ctx,
      1900,
      Buffer.from(
        `M-SEARCH * HTTP/1.1\r\nHOST: ${ctx.host}:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n`,
      ),
      (reply) => {
        const text = reply.toString("latin1");
        return { listening: /^HTTP\/1\.[01] 200/.test(text), text };
      },
      said(
        `unicast SSDP M-SEARCH to ${ctx.host}:1900`,
        `Gửi SSDP M-SEARCH trực tiếp tới ${ctx.host}:1900`,
      ),
    ),
};

/** SNMP's standard port and the one unprivileged agents move to. */
const SNMP_PORTS = [161, 1161];

const snmpPublic: Check = {
  id: "services.snmp-public",
  async run(ctx) {
    const outcomes: CheckOutcome[] = [];
    for (const port of SNMP_PORTS) outcomes.push(await snmpOutcome(ctx, port));
    const status = outcomes.some((o) => o.status === "fail")
      ? "fail"
      : outcomes.some((o) => o.status === "unknown")
        ? "unknown"
        : "pass";
    return outcome(status, [
      ...outcomes.flatMap((o) => o.evidence),
      note(
        said(
          `SNMP: ports checked ${SNMP_PORTS.join(", ")}`,
          `SNMP: đã kiểm tra các cổng ${SNMP_PORTS.join(", ")}`,
        ),
      ),
    ]);
  },
};

function snmpOutcome(ctx: AuditContext, port: number): Promise<CheckOutcome> {
  const requestId = randomInt(1, 0x7fffffff);
  return udpServiceOutcome(
    ctx,
    port,
    encodeGetRequest("public", requestId, SYS_DESCR_OID),
    (reply) => {
      try {
        const message = decodeMessage(reply);
        const value = message.varbinds[0]?.value.toString("utf8") ?? "";
        const listening = message.pduType === PDU_GET_RESPONSE && message.requestId === requestId;
        return {
          listening,
          text: `GetResponse community=${message.community} sysDescr=${value}`,
        };
      } catch (error) {
        const why = (error as Error).message;
        return {
          listening: false,
          text: said(`not an SNMP reply: ${why}`, `không phải trả lời SNMP: ${why}`),
        };
      }
    },
    said(
      `SNMPv2c GET sysDescr.0 with community "public" to ${ctx.host}:${port}`,
      `Gửi SNMPv2c GET sysDescr.0 với community "public" tới ${ctx.host}:${port}`,
    ),
  );
}

const cloudP2P: Check = {
  id: "services.cloud-p2p",
  async run(ctx) {
    const ddns = await ctx.onvif("<tds:GetDynamicDNS/>");
    const remote = await ctx.onvif("<tds:GetRemoteDiscoveryMode/>");
    const evidence = [ddns.evidence, remote.evidence];
    const findings: Said[] = [];
    if (ddns.ok) {
      const info = responseOf(ddns.envelope)?.children.find(
        (child) => child.local === "DynamicDNSInformation",
      );
      const type = field(info, "Type");
      if (type && type !== "NoUpdate")
        findings.push(
          said(
            `dynamic DNS ${type} (${field(info, "Name") ?? "no name"})`,
            `DNS động ${type} (${field(info, "Name") ?? "không có tên"})`,
          ),
        );
    }
    if (remote.ok && field(responseOf(remote.envelope), "RemoteDiscoveryMode") === "Discoverable")
      findings.push(
        said(
          "remote discovery (cloud relay) is on",
          "chế độ phát hiện từ xa (chuyển tiếp qua đám mây) đang bật",
        ),
      );
    if (findings.length > 0) return outcome("fail", [...evidence, note(joined(findings))]);
    return outcome(ddns.ok || remote.ok ? "pass" : "unknown", evidence);
  },
};

const preauthDisclosure: Check = {
  id: "services.preauth-disclosure",
  async run(ctx) {
    const firmware = ctx.device?.firmwareVersion;
    const model = ctx.device?.model;
    const evidence: Evidence[] = [];
    const leaks: Said[] = [];
    const mentions = (text: string) => {
      const found: string[] = [];
      const version = firmware?.split(/\s+/)[0];
      if (
        firmware &&
        (text.includes(firmware) || (version && version.length >= 4 && text.includes(version)))
      )
        found.push("firmware");
      return found;
    };
    const scopes = ctx.target.scopes ?? ctx.device?.scopes ?? [];
    if (mentions(scopes.join(" ")).length > 0)
      leaks.push(
        said(
          "WS-Discovery scopes name the firmware",
          "phạm vi WS-Discovery (scopes) nêu tên firmware",
        ),
      );
    evidence.push(
      note(
        said(
          `WS-Discovery scopes: ${scopes.join(" ") || "none known"}`,
          `phạm vi WS-Discovery (scopes): ${scopes.join(" ") || "không biết"}`,
        ),
      ),
    );
    const root = await ctx.webRootUrl();
    const url = root.href;
    try {
      const reply = await ctx.anonymousGet(root);
      const server = String(reply.headers.server ?? "");
      evidence.push(
        ctx.scrub.record("http:server-header", {
          sent: said(`GET ${url} without Authorization`, `GET ${url} không kèm Authorization`),
          received: describeHead(`HTTP ${reply.status}`, { server }),
        }),
      );
      if (
        mentions(server).length > 0 ||
        (model && firmware && server.includes(model) && /\d+\.\d+/.test(server))
      )
        leaks.push(said(`the Server header reads "${server}"`, `header Server ghi "${server}"`));
    } catch (error) {
      evidence.push(
        ctx.scrub.record("http:server-header", {
          sent: `GET ${url}`,
          received: errorSaid(error),
        }),
      );
      if (leaks.length === 0) return outcome("unknown", evidence);
    }
    if (!firmware)
      return outcome(leaks.length > 0 ? "fail" : "unknown", [
        ...evidence,
        note(
          said(
            "the firmware version is unknown, so a disclosure cannot be recognised",
            "không biết phiên bản firmware, nên không nhận ra được việc lộ thông tin",
          ),
        ),
      ]);
    return outcome(leaks.length > 0 ? "fail" : "pass", [
      ...evidence,
      ...(leaks.length > 0 ? [note(joined(leaks))] : []),
    ]);
  },
};

/**
 * Each service on its standard port and the alternates firmware moves it to (2323 for telnet is
 * what Mirai-era devices use; 2121 and 2222 are the usual unprivileged FTP and SSH ports).
 */
export const SERVICES_CHECKS: Check[] = [
  tcpServiceCheck("services.telnet", verbatim("telnet"), [23, 2323]),
  tcpServiceCheck(
    "services.debug-ports",
    said("vendor debug", "cổng gỡ lỗi của hãng"),
    [9527, 9530, 6789],
  ),
  tcpServiceCheck("services.ftp", verbatim("FTP"), [21, 2121]),
  tcpServiceCheck("services.ssh", verbatim("SSH"), [22, 2222]),
  tcpServiceCheck("services.vendor-sdk", said("vendor SDK", "SDK của hãng"), [8000, 37777, 34567]),
  upnp,
  snmpPublic,
  cloudP2P,
  preauthDisclosure,
];
