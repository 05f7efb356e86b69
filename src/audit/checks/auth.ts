import { randomBytes } from "node:crypto";
import { NS, WSSE_PASSWORD_DIGEST } from "../../onvif/namespaces.js";
import { passwordDigest, usernameTokenHeader } from "../../onvif/wsse.js";
import { escapeXml } from "../../onvif/xml.js";
import { field, responseOf } from "../xml-summary.js";
import { allDefaultPasswords } from "../vendor-data.js";
import type { Evidence } from "../types.js";
import { type Check, needsCredentials, needsDevice, note, outcome } from "./check.js";
import { anonymousOnvif, protectedOperation } from "./anonymous-onvif.js";
import { tryDefaultCredentials } from "./default-credentials.js";
import { httpProbe } from "../probes/http.js";
import { describeHead } from "../evidence.js";

const unauthenticatedOnvif: Check = {
  id: "auth.unauthenticated-onvif",
  async run(ctx) {
    const results = await anonymousOnvif(ctx);
    const evidence = results.map((r) => r.reply.evidence);
    const served = results.filter((r) => r.reply.ok).map((r) => r.label);
    if (served.length > 0) {
      return outcome("fail", [
        note(`answered without credentials: ${served.join(", ")}`),
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
export function passwordWeaknesses(password: string, knownDefaults: Set<string>): string[] {
  const weaknesses: string[] = [];
  if (password.length < 8) weaknesses.push(`shorter than 8 characters (${password.length})`);
  if (!/[A-Z]/.test(password)) weaknesses.push("no upper-case letter");
  if (!/[a-z]/.test(password)) weaknesses.push("no lower-case letter");
  if (!/[0-9]/.test(password)) weaknesses.push("no digit");
  if (!SPECIAL.test(password)) weaknesses.push("no special character");
  if (knownDefaults.has(password)) weaknesses.push("a known factory default password");
  return weaknesses;
}

const suppliedPasswordStrength: Check = {
  id: "auth.supplied-password-strength",
  async run(ctx) {
    if (!ctx.credentials)
      return outcome("not_applicable", [note("no password was supplied for this camera")]);
    const weaknesses = passwordWeaknesses(ctx.credentials.password, allDefaultPasswords(ctx.data));
    return weaknesses.length === 0
      ? outcome("pass", [
          note("scored locally: ≥ 8 characters, upper, lower, digit, special; not a known default"),
        ])
      : outcome("fail", [note(`the supplied password is weak: ${weaknesses.join("; ")}`)]);
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
    if (!credentials) return needsCredentials("Testing token freshness");
    const operation = await protectedOperation(ctx);
    if (!operation)
      return outcome("unknown", [
        note(
          "no ONVIF operation refuses anonymous callers, so a token's acceptance proves nothing",
        ),
      ]);
    // Each of the three may be refused, so each is a login within the camera's budget.
    const login = (securityHeader: string, label: string) =>
      ctx.loginAttempt(
        () => ctx.onvif(operation, { securityHeader, label }),
        (reply) => !reply.ok,
      );
    const noRoom = (evidence: Evidence[]) =>
      outcome("unknown", [
        ...evidence,
        note(
          `not tried: the failed logins this camera may take from the audit (${ctx.budget.limit} per ${ctx.budget.windowMs / 1000} s) are spent`,
        ),
      ]);
    const control = (
      await login(
        usernameTokenHeader(credentials.username, credentials.password, ctx.clockOffsetMs()),
        "fresh token (control)",
      )
    )?.result;
    if (!control) return noRoom([]);
    if (!control.ok)
      return outcome("unknown", [
        note("the supplied credentials are refused with a fresh token"),
        control.evidence,
      ]);
    const hourAgo = new Date(Date.now() + ctx.clockOffsetMs() - 3_600_000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    const bare = (
      await login(
        token(credentials.username, credentials.password, undefined, undefined),
        "token without nonce and created",
      )
    )?.result;
    if (!bare) return noRoom([control.evidence]);
    if (bare.ok) return outcome("fail", [control.evidence, bare.evidence]);
    const stale = (
      await login(
        token(credentials.username, credentials.password, randomBytes(16), hourAgo),
        "token created an hour ago",
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
        note("the camera does not report its lockout setting over ONVIF; check the web UI"),
      ]);
    const { enabled, maxFailures: max, periodSeconds: period } = setting;
    const verdict = enabled && Number.isInteger(max) && max >= 1 && max <= 10;
    return outcome(verdict ? "pass" : "fail", [
      evidence,
      note(
        enabled
          ? `lockout after ${max} failures within ${period} s`
          : "brute-force protection is switched off",
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
    const problems: string[] = [];
    if (number("MinLen") < 8) problems.push(`minimum length ${number("MinLen")} (< 8)`);
    if (number("Uppercase") < 1) problems.push("upper case not required");
    if (number("Number") < 1) problems.push("digit not required");
    if (number("SpecialChars") < 1) problems.push("special character not required");
    return outcome(problems.length === 0 ? "pass" : "fail", [
      reply.evidence,
      ...(problems.length > 0 ? [note(problems.join("; "))] : []),
    ]);
  },
};

const accounts: Check = {
  id: "auth.accounts",
  async run(ctx) {
    if (!ctx.credentials) return needsCredentials("Listing accounts");
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
    const problems: string[] = [];
    const admins = users.filter((user) => user.level === "Administrator");
    if (admins.length > 1)
      problems.push(`${admins.length} administrators: ${admins.map((u) => u.name).join(", ")}`);
    const named = users.filter((user) => defaultNamed.has(user.name.toLowerCase()));
    if (named.length > 0)
      problems.push(`default-named accounts: ${named.map((u) => u.name).join(", ")}`);
    if (users.some((user) => user.leaksPassword)) problems.push("GetUsers returns passwords");
    const listing = note(
      `accounts: ${users.map((u) => `${u.name} (${u.level})`).join(", ") || "none listed"}`,
    );
    return outcome(problems.length === 0 ? "pass" : "fail", [
      reply.evidence,
      listing,
      ...(problems.length > 0 ? [note(problems.join("; "))] : []),
    ]);
  },
};

const unauthenticatedSnapshot: Check = {
  id: "auth.unauthenticated-snapshot",
  async run(ctx) {
    if (!ctx.device) return needsDevice(ctx, "Finding the snapshot URL");
    const urls = ctx.snapshotUris();
    if (urls.length === 0)
      return outcome("not_applicable", [note("the camera advertises no snapshot URL")]);
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
              sent: `${method} ${url.href} without Authorization`,
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
              received: (error as Error).message,
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
