import { setTimeout as sleep } from "node:timers/promises";
import { digestAuthorization } from "../../discovery/http-digest.js";
import type { Credentials } from "../../discovery/index.js";
import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { challengesOf, httpProbe } from "../probes/http.js";
import { rtspRequest } from "../probes/rtsp.js";
import type { CheckOutcome, Evidence } from "../types.js";
import { allDefaultPairs, defaultCredentialsFor } from "../vendor-data.js";
import { errorSaid, said } from "../said.js";
import { note, outcome } from "./check.js";
import { protectedOperation } from "./anonymous-onvif.js";

const TRIES_PER_PROTOCOL = 3;
/** Refusals that are not a plain "wrong password": the camera may be locking us out. */
const LOCKOUT_STATUSES = new Set([403, 423, 429, 453, 503]);

const NO_CHALLENGE = said("no usable challenge", "không có yêu cầu xác thực dùng được");

const VERDICT_VI: Record<TryResult["verdict"], string> = {
  accepted: "được chấp nhận",
  refused: "bị từ chối",
  lockout: "có dấu hiệu khóa tài khoản",
  inconclusive: "không kết luận được",
};

type TryResult = {
  verdict: "accepted" | "refused" | "lockout" | "inconclusive";
  evidence: Evidence;
};

interface Protocol {
  name: string;
  attempt(pair: Credentials): Promise<TryResult>;
}

function basic(pair: Credentials): string {
  return `Basic ${Buffer.from(`${pair.username}:${pair.password}`).toString("base64")}`;
}

function byStatus(status: number): TryResult["verdict"] {
  if (status >= 200 && status < 300) return "accepted";
  if (status === 401) return "refused";
  return LOCKOUT_STATUSES.has(status) ? "lockout" : "inconclusive";
}

async function onvifProtocol(ctx: AuditContext): Promise<Protocol | undefined> {
  const operation = await protectedOperation(ctx);
  if (!operation) return undefined;
  return {
    name: "ONVIF",
    async attempt(pair) {
      const reply = await ctx.onvif(operation, { credentials: pair });
      if (reply.ok) return { verdict: "accepted", evidence: reply.evidence };
      const { error } = reply;
      const locked = /lock/i.test(error.message) || LOCKOUT_STATUSES.has(error.status ?? 0);
      const verdict = locked
        ? "lockout"
        : error.kind === "not-authorized"
          ? "refused"
          : "inconclusive";
      return { verdict, evidence: reply.evidence };
    },
  };
}

/** HTTP: the web root or the snapshot URL, whichever asks for credentials. */
async function httpProtocol(ctx: AuditContext): Promise<Protocol | undefined> {
  const candidates = [await ctx.webRootUrl(), ...ctx.snapshotUris()];
  for (const url of candidates) {
    const first = await ctx.anonymousGet(url).catch(() => undefined);
    if (first?.status !== 401) continue;
    const challenges = challengesOf(first.headers);
    return {
      name: `HTTP ${url.pathname}`,
      async attempt(pair) {
        const fresh = await httpProbe(url.href, {
          timeoutMs: ctx.settings.probeTimeoutMs,
          maxBytes: 512,
          signal: ctx.signal,
        });
        const offered = challengesOf(fresh.headers);
        const authorization =
          digestAuthorization(
            offered,
            "GET",
            url.pathname + url.search,
            pair.username,
            pair.password,
          ) ??
          (offered.concat(challenges).some((c) => /^Basic\b/i.test(c)) ? basic(pair) : undefined);
        if (!authorization)
          return {
            verdict: "inconclusive",
            evidence: ctx.scrub.record("http:login", { note: NO_CHALLENGE }),
          };
        const reply = await httpProbe(url.href, {
          timeoutMs: ctx.settings.probeTimeoutMs,
          maxBytes: 512,
          headers: { Authorization: authorization },
          signal: ctx.signal,
        });
        return {
          verdict: byStatus(reply.status),
          evidence: ctx.scrub.record("http:login", {
            sent: said(
              `GET ${url.href} as ${pair.username} with a factory password`,
              `GET ${url.href} bằng tài khoản ${pair.username} với mật khẩu mặc định của nhà sản xuất`,
            ),
            received: describeHead(`HTTP ${reply.status}`, {}),
          }),
        };
      },
    };
  }
  return undefined;
}

async function rtspProtocol(ctx: AuditContext): Promise<Protocol | undefined> {
  const url = ctx.streamUris()[0];
  if (!url) return undefined;
  const timeoutMs = ctx.settings.probeTimeoutMs;
  const first = await rtspRequest(url, "DESCRIBE", { timeoutMs, signal: ctx.signal }).catch(
    () => undefined,
  );
  if (first?.status !== 401) return undefined;
  return {
    name: "RTSP",
    async attempt(pair) {
      const challenge = await rtspRequest(url, "DESCRIBE", { timeoutMs, signal: ctx.signal });
      const offered = challenge.headers["www-authenticate"];
      const authorization =
        digestAuthorization(offered, "DESCRIBE", url.href, pair.username, pair.password) ??
        (offered && /^Basic\b/i.test(offered) ? basic(pair) : undefined);
      if (!authorization)
        return {
          verdict: "inconclusive",
          evidence: ctx.scrub.record("rtsp:login", { note: NO_CHALLENGE }),
        };
      const reply = await rtspRequest(url, "DESCRIBE", {
        timeoutMs,
        authorization,
        signal: ctx.signal,
      });
      return {
        verdict: byStatus(reply.status),
        evidence: ctx.scrub.record("rtsp:login", {
          sent: said(
            `DESCRIBE ${url.href} as ${pair.username} with a factory password`,
            `DESCRIBE ${url.href} bằng tài khoản ${pair.username} với mật khẩu mặc định của nhà sản xuất`,
          ),
          received: reply.statusLine,
        }),
      };
    },
  };
}

/** One try; a try that throws is inconclusive (and spends its place in the budget). */
async function tryPair(
  ctx: AuditContext,
  protocol: Protocol,
  pair: Credentials,
): Promise<TryResult> {
  try {
    return await protocol.attempt(pair);
  } catch (error) {
    return {
      verdict: "inconclusive",
      evidence: ctx.scrub.record(`${protocol.name}:login`, { received: errorSaid(error) }),
    };
  }
}

/** The camera's failed-login budget for this lockout window is spent: no further tries. */
function budgetSpent(ctx: AuditContext, tries: number, evidence: Evidence[]): CheckOutcome {
  const { limit, windowMs } = ctx.budget;
  const why = said(
    `the failed logins this camera may take from the audit (${limit} per ${windowMs / 1000} s, below its lockout threshold) are spent`,
    `số lần đăng nhập sai mà lần kiểm tra được phép gây ra cho camera này (${limit} lần trong ${windowMs / 1000} giây, dưới ngưỡng khóa tài khoản) đã dùng hết`,
  );
  if (tries === 0)
    return outcome("unknown", [
      note(
        said(`no factory password tried: ${why.en}`, `chưa thử mật khẩu mặc định nào: ${why.vi}`),
      ),
    ]);
  return outcome("pass", [
    ...evidence,
    note(said(`stopped after ${tries} tries: ${why.en}`, `dừng sau ${tries} lần thử: ${why.vi}`)),
  ]);
}

/**
 * Tries the vendor's factory passwords: at most three pairs per protocol, each within the
 * camera's failed-login budget (shared with the other checks and audits), spaced out, stopping
 * at the first success or the first sign of a lockout. The technician's own password is judged
 * without a try.
 */
export async function tryDefaultCredentials(ctx: AuditContext): Promise<CheckOutcome> {
  const pairs = defaultCredentialsFor(ctx.data, ctx.device?.manufacturer);
  const supplied = ctx.credentials;
  if (
    supplied &&
    allDefaultPairs(ctx.data).some(
      ([user, password]) => user === supplied.username && password === supplied.password,
    )
  ) {
    return outcome("fail", [
      note(
        said(
          `the credentials supplied for this camera (user ${supplied.username}) are a factory default, and the camera accepts them`,
          `thông tin đăng nhập khai báo cho camera này (tài khoản ${supplied.username}) là mặc định của nhà sản xuất, và camera chấp nhận`,
        ),
      ),
    ]);
  }
  const protocols: Protocol[] = [];
  for (const make of [onvifProtocol, httpProtocol, rtspProtocol]) {
    const protocol = await make(ctx).catch(() => undefined);
    if (protocol) protocols.push(protocol);
  }
  if (protocols.length === 0)
    return outcome("unknown", [
      note(
        said(
          "no service asked for credentials, so factory passwords could not be tried",
          "không dịch vụ nào yêu cầu đăng nhập, nên không thử được mật khẩu mặc định",
        ),
      ),
    ]);
  const evidence: Evidence[] = [];
  let tries = 0;
  for (const [index, [username, password]] of pairs.slice(0, TRIES_PER_PROTOCOL).entries()) {
    for (const protocol of protocols) {
      if (tries > 0)
        await sleep(ctx.settings.credentialTrySpacingMs, undefined, { signal: ctx.signal });
      const attempt = await ctx.loginAttempt(
        () => tryPair(ctx, protocol, { username, password }),
        (result) => result.verdict !== "accepted",
      );
      if (!attempt) return budgetSpent(ctx, tries, evidence);
      tries++;
      const result = attempt.result;
      evidence.push(
        ctx.scrub.annotate(
          result.evidence,
          said(
            `factory pair #${index + 1} (${username}) on ${protocol.name}: ${result.verdict}`,
            `cặp mặc định #${index + 1} (${username}) qua ${protocol.name}: ${VERDICT_VI[result.verdict]}`,
          ),
        ),
      );
      if (result.verdict === "accepted") return outcome("fail", evidence);
      if (result.verdict === "lockout") {
        evidence.push(
          note(
            said(
              "the camera began refusing in a way that suggests a lockout; no further tries",
              "camera bắt đầu từ chối theo kiểu khóa tài khoản; không thử thêm",
            ),
          ),
        );
        return outcome("unknown", evidence);
      }
    }
  }
  return outcome("pass", [
    ...evidence,
    note(
      said(
        `${tries} factory passwords refused on ${protocols.map((p) => p.name).join(", ")}`,
        `${tries} mật khẩu mặc định bị từ chối qua ${protocols.map((p) => p.name).join(", ")}`,
      ),
    ),
  ]);
}
