import { randomBytes } from "node:crypto";
import { NS, WSSE_PASSWORD_DIGEST } from "../../onvif/namespaces.js";
import { passwordDigest, usernameTokenHeader } from "../../onvif/wsse.js";
import { escapeXml } from "../../onvif/xml.js";
import { field, responseOf } from "../xml-summary.js";
import { allDefaultPasswords } from "../vendor-data.js";
import type { Evidence } from "../types.js";
import {
  budgetSpentSaid,
  type Check,
  needsCredentials,
  needsDevice,
  note,
  outcome,
} from "./check.js";
import { anonymousOnvif, protectedOperation } from "./anonymous-onvif.js";
import { tryDefaultCredentials } from "./default-credentials.js";
import { httpProbe } from "../probes/http.js";
import { describeHead } from "../evidence.js";
import { errorSaid, joined, mapSaid, type Said, said } from "../said.js";

const unauthenticatedOnvif: Check = {
  id: "auth.unauthenticated-onvif",
  async run(ctx) {
    const results = await anonymousOnvif(ctx);
    const evidence = results.map((r) => r.reply.evidence);
    const served = results.filter((r) => r.reply.ok).map((r) => r.label);
    if (served.length > 0) {
      return outcome("fail", [
        note(
          said(
            `answered without credentials: ${served.join(", ")}`,
            `trả lời khi không có thông tin đăng nhập: ${served.join(", ")}`,
          ),
        ),
        ...evidence,
      ]);
    }
    const refused = results.filter(
      (r) =>
        !r.reply.ok && (r.reply.error.kind === "not-authorized" || r.reply.error.kind === "fault"),
    );
    if (refused.length === 0) return outcome("unknown", evidence);
    return outcome(refused.length === results.length ? "pass" : "unknown", evidence);
  },
};

const SPECIAL = /[^A-Za-z0-9]/;

/** The weaknesses of a password by the D724 rules, without ever echoing the password. */
export function passwordWeaknesses(password: string, knownDefaults: Set<string>): Said[] {
  const weaknesses: Said[] = [];
  if (password.length < 8)
    weaknesses.push(
      said(
        `shorter than 8 characters (${password.length})`,
        `ngắn hơn 8 ký tự (${password.length})`,
      ),
    );
  if (!/[A-Z]/.test(password)) weaknesses.push(said("no upper-case letter", "không có chữ hoa"));
  if (!/[a-z]/.test(password)) weaknesses.push(said("no lower-case letter", "không có chữ thường"));
  if (!/[0-9]/.test(password)) weaknesses.push(said("no digit", "không có chữ số"));
  if (!SPECIAL.test(password))
    weaknesses.push(said("no special character", "không có ký tự đặc biệt"));
  if (knownDefaults.has(password))
    weaknesses.push(
      said("a known factory default password", "là một mật khẩu mặc định đã biết của nhà sản xuất"),
    );
  return weaknesses;
}

const suppliedPasswordStrength: Check = {
  id: "auth.supplied-password-strength",
  async run(ctx) {
    if (!ctx.credentials)
      return outcome("not_applicable", [
        note(
          said(
            "no password was supplied for this camera",
            "chưa khai báo mật khẩu nào cho camera này",
          ),
        ),
      ]);
    const weaknesses = passwordWeaknesses(ctx.credentials.password, allDefaultPasswords(ctx.data));
    return weaknesses.length === 0
      ? outcome("pass", [
          note(
            said(
              "scored locally: ≥ 8 characters, upper, lower, digit, special; not a known default",
              "chấm ngay trên thiết bị: ≥ 8 ký tự, có chữ hoa, chữ thường, chữ số, ký tự đặc biệt; không phải mật khẩu mặc định đã biết",
            ),
          ),
        ])
      : outcome("fail", [
          note(
            mapSaid(
              joined(weaknesses),
              (list, lang) =>
                `${lang === "vi" ? "mật khẩu đã khai báo yếu" : "the supplied password is weak"}: ${list}`,
            ),
          ),
        ]);
  },
};

function token(
  user: string,
  password: string,
  nonce: Buffer | undefined,
  created: string | undefined,
): string {
  const digest = passwordDigest(nonce ?? Buffer.alloc(0), created ?? "", password);
  return (
    `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" s:mustUnderstand="1"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(user)}</wsse:Username><wsse:Password Type="${WSSE_PASSWORD_DIGEST}">${digest}</wsse:Password>` +
    (nonce ? `<wsse:Nonce>${nonce.toString("base64")}</wsse:Nonce>` : "") +
    (created ? `<wsu:Created>${created}</wsu:Created>` : "") +
    `</wsse:UsernameToken></wsse:Security>`
  );
}

const wsseFreshness: Check = {
  id: "auth.wsse-freshness",
  async run(ctx) {
    const credentials = ctx.credentials;
    if (!credentials)
      return needsCredentials(said("Testing token freshness", "Kiểm tra độ mới của token"));
    const operation = await protectedOperation(ctx);
    if (!operation)
      return outcome("unknown", [
        note(
          said(
            "no ONVIF operation refuses anonymous callers, so a token's acceptance proves nothing",
            "không thao tác ONVIF nào từ chối người gọi ẩn danh, nên việc camera nhận token không chứng minh được gì",
          ),
        ),
      ]);
    // Each of the three may be refused, so each is a login within the camera's budget.
    const login = (securityHeader: string, label: Said) =>
      ctx.loginAttempt(
        () => ctx.onvif(operation, { securityHeader, label }),
        (reply) => !reply.ok,
      );
    const noRoom = (evidence: Evidence[]) =>
      outcome("unknown", [...evidence, note(budgetSpentSaid(ctx))]);
    const control = (
      await login(
        usernameTokenHeader(credentials.username, credentials.password, ctx.clockOffsetMs()),
        said("fresh token (control)", "token mới (đối chứng)"),
      )
    )?.result;
    if (!control) return noRoom([]);
    if (!control.ok)
      return outcome("unknown", [
        note(
          said(
            "the supplied credentials are refused with a fresh token",
            "thông tin đăng nhập đã khai báo bị từ chối ngay cả với token mới",
          ),
        ),
        control.evidence,
      ]);
    const hourAgo = new Date(Date.now() + ctx.clockOffsetMs() - 3_600_000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    const bare = (
      await login(
        token(credentials.username, credentials.password, undefined, undefined),
        said("token without nonce and created", "token không có nonce và thời điểm tạo"),
      )
    )?.result;
    if (!bare) return noRoom([control.evidence]);
    if (bare.ok) return outcome("fail", [control.evidence, bare.evidence]);
    const stale = (
      await login(
        token(credentials.username, credentials.password, randomBytes(16), hourAgo),
        said("token created an hour ago", "token tạo từ một giờ trước"),
      )
    )?.result;
    if (!stale) return noRoom([control.evidence, bare.evidence]);
    const evidence = [control.evidence, bare.evidence, stale.evidence];
    const accepted = [bare, stale].filter((reply) => reply.ok).length;
    if (accepted > 0) return outcome("fail", evidence);
    const refused = [bare, stale].every(
      (reply) => !reply.ok && reply.error.kind === "not-authorized",
    );
    return outcome(refused ? "pass" : "unknown", evidence);
  },
};

const lockoutPolicy: Check = {
  id: "auth.lockout-policy",
  async run(ctx) {
    const { evidence, setting } = await ctx.lockoutSetting();
    if (!setting)
      return outcome("unknown", [
        evidence,
        note(
          said(
            "the camera does not report its lockout setting over ONVIF; check the web UI",
            "camera không cho biết cài đặt khóa tài khoản qua ONVIF; hãy xem trong trang quản trị web",
          ),
        ),
      ]);
    const { enabled, maxFailures: max, periodSeconds: period } = setting;
    const verdict = enabled && Number.isInteger(max) && max >= 1 && max <= 10;
    return outcome(verdict ? "pass" : "fail", [
      evidence,
      note(
        enabled
          ? said(
              `lockout after ${max} failures within ${period} s`,
              `khóa tài khoản sau ${max} lần đăng nhập sai trong ${period} giây`,
            )
          : said("brute-force protection is switched off", "chức năng chống dò mật khẩu đang tắt"),
      ),
    ]);
  },
};

const passwordPolicy: Check = {
  id: "auth.password-policy",
  async run(ctx) {
    const reply = await ctx.onvif("<tds:GetPasswordComplexityConfiguration/>");
    if (!reply.ok) return outcome("unknown", [reply.evidence]);
    const response = responseOf(reply.envelope);
    const number = (name: string) => Number(field(response, name) ?? 0);
    const problems: Said[] = [];
    if (number("MinLen") < 8)
      problems.push(
        said(
          `minimum length ${number("MinLen")} (< 8)`,
          `độ dài tối thiểu ${number("MinLen")} (< 8)`,
        ),
      );
    if (number("Uppercase") < 1)
      problems.push(said("upper case not required", "không bắt buộc chữ hoa"));
    if (number("Number") < 1) problems.push(said("digit not required", "không bắt buộc chữ số"));
    if (number("SpecialChars") < 1)
      problems.push(said("special character not required", "không bắt buộc ký tự đặc biệt"));
    return outcome(problems.length === 0 ? "pass" : "fail", [
      reply.evidence,
      ...(problems.length > 0 ? [note(joined(problems))] : []),
    ]);
  },
};

const accounts: Check = {
  id: "auth.accounts",
  async run(ctx) {
    if (!ctx.credentials) return needsCredentials(said("Listing accounts", "Liệt kê tài khoản"));
    const reply = await ctx.onvif("<tds:GetUsers/>");
    if (!reply.ok) return outcome("unknown", [reply.evidence]);
    const users = (responseOf(reply.envelope)?.children ?? [])
      .filter((child) => child.local === "User")
      .slice(0, 64)
      .map((user) => ({
        name: field(user, "Username") ?? "",
        level: field(user, "UserLevel") ?? "",
        leaksPassword: user.children.some(
          (child) => child.local === "Password" && child.text.trim() !== "",
        ),
      }));
    const defaultNamed = new Set(ctx.data.vendors.defaultNamedAccounts);
    const problems: Said[] = [];
    const admins = users.filter((user) => user.level === "Administrator");
    const adminNames = admins.map((u) => u.name).join(", ");
    if (admins.length > 1)
      problems.push(
        said(
          `${admins.length} administrators: ${adminNames}`,
          `${admins.length} tài khoản quản trị: ${adminNames}`,
        ),
      );
    const named = users.filter((user) => defaultNamed.has(user.name.toLowerCase()));
    const namedList = named.map((u) => u.name).join(", ");
    if (named.length > 0)
      problems.push(
        said(`default-named accounts: ${namedList}`, `tài khoản mang tên mặc định: ${namedList}`),
      );
    if (users.some((user) => user.leaksPassword))
      problems.push(said("GetUsers returns passwords", "GetUsers trả về cả mật khẩu"));
    const accounts = users.map((u) => `${u.name} (${u.level})`).join(", ");
    const listing = note(
      said(
        `accounts: ${accounts || "none listed"}`,
        `tài khoản: ${accounts || "không có tài khoản nào được liệt kê"}`,
      ),
    );
    return outcome(problems.length === 0 ? "pass" : "fail", [
      reply.evidence,
      listing,
      ...(problems.length > 0 ? [note(joined(problems))] : []),
    ]);
  },
};

const unauthenticatedSnapshot: Check = {
  id: "auth.unauthenticated-snapshot",
  async run(ctx) {
    if (!ctx.device)
      return needsDevice(ctx, said("Finding the snapshot URL", "Tìm địa chỉ ảnh chụp nhanh"));
    const urls = ctx.snapshotUris();
    if (urls.length === 0)
      return outcome("not_applicable", [
        note(
          said(
            "the camera advertises no snapshot URL",
            "camera không công bố địa chỉ ảnh chụp nhanh nào",
          ),
        ),
      ]);
    const evidence: Evidence[] = [];
    let served = false;
    let refused = 0;
    for (const url of urls) {
      for (const method of ["HEAD", "GET"] as const) {
        try {
          const reply = await httpProbe(url.href, {
            method,
            timeoutMs: ctx.settings.probeTimeoutMs,
            maxBytes: 1024,
            signal: ctx.signal,
          });
          const type = String(reply.headers["content-type"] ?? "");
          evidence.push(
            ctx.scrub.record("http:snapshot", {
              sent: said(
                `${method} ${url.href} without Authorization`,
                `${method} ${url.href} không kèm Authorization`,
              ),
              received: describeHead(`HTTP ${reply.status}`, {
                "content-type": type,
                "www-authenticate": reply.headers["www-authenticate"],
              }),
            }),
          );
          if (reply.status === 401 || reply.status === 403) {
            refused++;
            break;
          }
          if (reply.status === 200 && method === "GET" && type.startsWith("image/")) served = true;
        } catch (error) {
          evidence.push(
            ctx.scrub.record("http:snapshot", {
              sent: `${method} ${url.href}`,
              received: errorSaid(error),
            }),
          );
          break;
        }
      }
    }
    if (served) return outcome("fail", evidence);
    return outcome(refused === urls.length ? "pass" : "unknown", evidence);
  },
};

const defaultCredentials: Check = {
  id: "auth.default-credentials",
  run: (ctx) => tryDefaultCredentials(ctx),
};

export const AUTH_CHECKS: Check[] = [
  defaultCredentials,
  suppliedPasswordStrength,
  unauthenticatedOnvif,
  unauthenticatedSnapshot,
  wsseFreshness,
  lockoutPolicy,
  passwordPolicy,
  accounts,
];
