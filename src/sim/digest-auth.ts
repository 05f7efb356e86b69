import { randomBytes, timingSafeEqual } from "node:crypto";
import { digestResponse, parseAuthParams } from "../util/http-digest.js";

const NONCE_LIFETIME_MS = 10 * 60_000;
const MAX_NONCES = 1000;

export function parseBasic(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1
    ? undefined
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export type AuthResult =
  { ok: true; user: string } | { ok: false; user: string | null; reason: string };

/** Server side of HTTP/RTSP Digest (MD5, qop=auth) with nonces this camera issued. */
export class DigestAuthority {
  readonly #nonces = new Map<string, number>();

  constructor(
    readonly realm: string,
    private readonly passwordOf: (user: string) => string | undefined,
  ) {}

  challenge(nowMs = Date.now()): string {
    const nonce = randomBytes(16).toString("hex");
    this.#nonces.set(nonce, nowMs);
    if (this.#nonces.size > MAX_NONCES) {
      const oldest = this.#nonces.keys().next().value;
      if (oldest !== undefined) this.#nonces.delete(oldest);
    }
    return `Digest realm="${this.#quotedRealm()}", qop="auth", nonce="${nonce}", algorithm=MD5`;
  }

  basicChallenge(): string {
    return `Basic realm="${this.#quotedRealm()}"`;
  }

  #quotedRealm(): string {
    return this.realm.replace(/["\\]/g, "\\$&");
  }

  verifyDigest(header: string | undefined, method: string, nowMs = Date.now()): AuthResult {
    if (!header || !/^Digest\s/i.test(header))
      return { ok: false, user: null, reason: "no digest credentials" };
    const p = parseAuthParams(header.slice(7));
    const user = p.username ?? null;
    const issued = p.nonce === undefined ? undefined : this.#nonces.get(p.nonce);
    if (issued === undefined || nowMs - issued > NONCE_LIFETIME_MS)
      return { ok: false, user, reason: "stale nonce" };
    if (p.realm !== this.realm || !p.uri || !p.response || user === null) {
      return { ok: false, user, reason: "incomplete digest" };
    }
    const password = this.passwordOf(user);
    if (password === undefined) return { ok: false, user, reason: "unknown user" };
    const expected = digestResponse({
      username: user,
      realm: this.realm,
      password,
      method,
      uri: p.uri,
      nonce: p.nonce ?? "",
      qop: p.qop,
      nc: p.nc,
      cnonce: p.cnonce,
    });
    return safeEqual(expected, p.response.toLowerCase())
      ? { ok: true, user }
      : { ok: false, user, reason: "wrong password" };
  }

  verifyBasic(header: string | undefined): AuthResult {
    const credentials = parseBasic(header);
    if (!credentials) return { ok: false, user: null, reason: "no basic credentials" };
    const password = this.passwordOf(credentials.user);
    return password !== undefined && safeEqual(password, credentials.password)
      ? { ok: true, user: credentials.user }
      : { ok: false, user: credentials.user, reason: "wrong password" };
  }
}
