import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { challengesOf, httpProbe } from "../probes/http.js";
import { rtspRequest } from "../probes/rtsp.js";
import { errorSaid, said } from "../said.js";
import type { Evidence } from "../types.js";
import { type Check, needsDevice, note, outcome } from "./check.js";

const unauthenticatedRtsp: Check = {
  id: "auth.unauthenticated-rtsp",
  async run(ctx) {
    if (!ctx.device && ctx.onvifOn)
      return needsDevice(ctx, said("Finding the stream URIs", "Tìm địa chỉ luồng video"));
    const urls = ctx.streamUris();
    if (urls.length === 0)
      return outcome("not_applicable", [
        note(said("the camera advertises no RTSP stream", "camera không công bố luồng RTSP nào")),
      ]);
    const evidence: Evidence[] = [];
    let served = 0;
    let refused = 0;
    for (const url of urls) {
      try {
        const reply = await rtspRequest(url, "DESCRIBE", {
          timeoutMs: ctx.settings.probeTimeoutMs,
          signal: ctx.signal,
        });
        evidence.push(
          ctx.scrub.record("rtsp:describe", {
            sent: said(
              `DESCRIBE ${url.href} without Authorization`,
              `DESCRIBE ${url.href} không kèm Authorization`,
            ),
            received: describeHead(reply.statusLine, {
              "content-type": reply.headers["content-type"],
              "www-authenticate": reply.headers["www-authenticate"],
            }),
          }),
        );
        if (reply.status === 200) served++;
        else if (reply.status === 401 || reply.status === 403) refused++;
      } catch (error) {
        evidence.push(
          ctx.scrub.record("rtsp:describe", {
            sent: `DESCRIBE ${url.href}`,
            received: errorSaid(error),
          }),
        );
      }
    }
    if (served > 0) return outcome("fail", evidence);
    return outcome(refused === urls.length ? "pass" : "unknown", evidence);
  },
};

/** Every plain-HTTP URL a camera may challenge on: web root, ONVIF device service, snapshots. */
async function cleartextUrls(ctx: AuditContext): Promise<{ url: URL; method: "GET" | "POST" }[]> {
  const urls: { url: URL; method: "GET" | "POST" }[] = [
    { url: await ctx.webRootUrl(), method: "GET" },
  ];
  const xaddr = ctx.target.xaddr === undefined ? undefined : new URL(ctx.target.xaddr);
  if (xaddr?.protocol === "http:") urls.push({ url: xaddr, method: "POST" });
  for (const url of ctx.snapshotUris())
    if (url.protocol === "http:") urls.push({ url, method: "GET" });
  return urls;
}

const basicOverCleartext: Check = {
  id: "auth.basic-over-cleartext",
  async run(ctx) {
    const evidence: Evidence[] = [];
    let basic = false;
    let answered = 0;
    for (const { url, method } of await cleartextUrls(ctx)) {
      try {
        const reply =
          method === "GET"
            ? await ctx.anonymousGet(url)
            : await httpProbe(url.href, {
                method,
                timeoutMs: ctx.settings.probeTimeoutMs,
                maxBytes: 512,
                signal: ctx.signal,
                headers: { "Content-Type": "application/soap+xml" },
                body: "",
              });
        answered++;
        const challenges = challengesOf(reply.headers);
        if (challenges.some((challenge) => /^Basic\b/i.test(challenge))) basic = true;
        evidence.push(
          ctx.scrub.record("http:challenge", {
            sent: said(
              `${method} ${url.href} without Authorization`,
              `${method} ${url.href} không kèm Authorization`,
            ),
            received: describeHead(`HTTP ${reply.status}`, {
              "www-authenticate": challenges,
              location: reply.headers.location,
            }),
          }),
        );
      } catch (error) {
        evidence.push(
          ctx.scrub.record("http:challenge", {
            sent: `${method} ${url.href}`,
            received: errorSaid(error),
          }),
        );
      }
    }
    if (ctx.target.allowBasicAuth) {
      const id = ctx.target.cameraId ?? ctx.target.host;
      evidence.push(
        note(
          said(
            `warning: recorder.cameras.${id}.allowBasicAuth is set: the agent sends this camera's ` +
              "password with RTSP Basic authentication (in clear) when the camera offers nothing better",
            `cảnh báo: recorder.cameras.${id}.allowBasicAuth đang bật: khi camera không hỗ trợ cách nào tốt hơn, ` +
              "camgate gửi mật khẩu của camera này bằng xác thực RTSP Basic (không mã hóa)",
          ),
        ),
      );
      return outcome("fail", evidence);
    }
    if (basic) return outcome("fail", evidence);
    return outcome(answered > 0 ? "pass" : "unknown", evidence);
  },
};

export const AUTH_TRANSPORT_CHECKS: Check[] = [unauthenticatedRtsp, basicOverCleartext];
