import { randomInt } from "node:crypto";
import {
  decodeMessage,
  encodeGetRequest,
  PDU_GET_RESPONSE,
  SYS_DESCR_OID,
} from "../../util/snmp.js";
import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { probePort } from "../probes/tcp.js";
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
        sent: `TCP connect ${ctx.host}:${http} (the camera's web port)`,
        received: state.state === "open" ? "open" : `${state.state}: ${state.reason}`,
      }),
    };
  });
}

function tcpServiceCheck(id: string, service: string, ports: number[]): Check {
  return {
    id,
    async run(ctx): Promise<CheckOutcome> {
      const reference = await cameraAlive(ctx);
      if (!reference.alive)
        return outcome("unknown", [
          reference.evidence,
          note("the camera does not answer, so closed ports prove nothing"),
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
            sent: `TCP connect ${ctx.host}:${port} (${service}), no login`,
            received:
              state.state === "open"
                ? state.banner.length > 0
                  ? state.banner
                  : "open, no banner"
                : `${state.state}: ${state.reason}`,
          }),
        );
      }
      evidence.push(
        note(
          `${service}: ports checked ${ports.join(", ")} (the standard one and the alternates vendors move it to)${open.length > 0 ? `; open: ${open.join(", ")}` : ""}`,
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
  describe: (reply: Buffer) => { listening: boolean; text: string },
  what: string,
): Promise<CheckOutcome> {
  const reference = await cameraAlive(ctx);
  if (!reference.alive)
    return outcome("unknown", [
      reference.evidence,
      note("the camera does not answer, so silence proves nothing"),
    ]);
  const answer = await udpExchange(ctx.host, port, payload, {
    timeoutMs: ctx.settings.probeTimeoutMs,
    signal: ctx.signal,
  });
  if (answer.state !== "answered") {
    return outcome("pass", [
      ctx.scrub.record(`udp:${port}`, {
        sent: what,
        received: answer.state === "refused" ? "port unreachable" : answer.reason,
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
      `unicast SSDP M-SEARCH to ${ctx.host}:1900`,
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
      note(`SNMP: ports checked ${SNMP_PORTS.join(", ")}`),
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
        return { listening: false, text: `not an SNMP reply: ${(error as Error).message}` };
      }
    },
    `SNMPv2c GET sysDescr.0 with community "public" to ${ctx.host}:${port}`,
  );
}

const cloudP2P: Check = {
  id: "services.cloud-p2p",
  async run(ctx) {
    const ddns = await ctx.onvif("<tds:GetDynamicDNS/>");
    const remote = await ctx.onvif("<tds:GetRemoteDiscoveryMode/>");
    const evidence = [ddns.evidence, remote.evidence];
    const findings: string[] = [];
    if (ddns.ok) {
      const info = responseOf(ddns.envelope)?.children.find(
        (child) => child.local === "DynamicDNSInformation",
      );
      const type = field(info, "Type");
      if (type && type !== "NoUpdate")
        findings.push(`dynamic DNS ${type} (${field(info, "Name") ?? "no name"})`);
    }
    if (remote.ok && field(responseOf(remote.envelope), "RemoteDiscoveryMode") === "Discoverable")
      findings.push("remote discovery (cloud relay) is on");
    if (findings.length > 0) return outcome("fail", [...evidence, note(findings.join("; "))]);
    return outcome(ddns.ok || remote.ok ? "pass" : "unknown", evidence);
  },
};

const preauthDisclosure: Check = {
  id: "services.preauth-disclosure",
  async run(ctx) {
    const firmware = ctx.device?.firmwareVersion;
    const model = ctx.device?.model;
    const evidence: Evidence[] = [];
    const leaks: string[] = [];
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
    if (mentions(scopes.join(" ")).length > 0) leaks.push("WS-Discovery scopes name the firmware");
    evidence.push(note(`WS-Discovery scopes: ${scopes.join(" ") || "none known"}`));
    const root = await ctx.webRootUrl();
    const url = root.href;
    try {
      const reply = await ctx.anonymousGet(root);
      const server = String(reply.headers.server ?? "");
      evidence.push(
        ctx.scrub.record("http:server-header", {
          sent: `GET ${url} without Authorization`,
          received: describeHead(`HTTP ${reply.status}`, { server }),
        }),
      );
      if (
        mentions(server).length > 0 ||
        (model && firmware && server.includes(model) && /\d+\.\d+/.test(server))
      )
        leaks.push(`the Server header reads "${server}"`);
    } catch (error) {
      evidence.push(
        ctx.scrub.record("http:server-header", {
          sent: `GET ${url}`,
          received: (error as Error).message,
        }),
      );
      if (leaks.length === 0) return outcome("unknown", evidence);
    }
    if (!firmware)
      return outcome(leaks.length > 0 ? "fail" : "unknown", [
        ...evidence,
        note("the firmware version is unknown, so a disclosure cannot be recognised"),
      ]);
    return outcome(leaks.length > 0 ? "fail" : "pass", [
      ...evidence,
      ...(leaks.length > 0 ? [note(leaks.join("; "))] : []),
    ]);
  },
};

/**
 * Each service on its standard port and the alternates firmware moves it to (2323 for telnet is
 * what Mirai-era devices use; 2121 and 2222 are the usual unprivileged FTP and SSH ports).
 */
export const SERVICES_CHECKS: Check[] = [
  tcpServiceCheck("services.telnet", "telnet", [23, 2323]),
  tcpServiceCheck("services.debug-ports", "vendor debug", [9527, 9530, 6789]),
  tcpServiceCheck("services.ftp", "FTP", [21, 2121]),
  tcpServiceCheck("services.ssh", "SSH", [22, 2222]),
  tcpServiceCheck("services.vendor-sdk", "vendor SDK", [8000, 37777, 34567]),
  upnp,
  snmpPublic,
  cloudP2P,
  preauthDisclosure,
];
