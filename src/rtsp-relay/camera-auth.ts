import { createHash, randomBytes } from "node:crypto";
import { parseAuthParams } from "../util/http-digest.js";

export interface CameraCredentials {
  username: string;
  password: string;
}

/** One WWW-Authenticate challenge: its scheme (lower case) and parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Every challenge of a reply; one header may hold several (`Digest ..., Basic ...`). */
export function parseChallenges(values: readonly string[]): Challenge[] {
  return values
    .flatMap((value) => value.split(/,\s*(?=(?:Basic|Digest|Bearer|Negotiate|NTLM)\b)/i))
    .map((text) => {
      const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(text);
      return {
        scheme: (match?.[1] ?? "").toLowerCase(),
        params: parseAuthParams(match?.[2] ?? ""),
      };
    });
}

const HASHES = { MD5: "md5", "SHA-256": "sha256" } as const;
type Algorithm = keyof typeof HASHES;

/** The algorithms we answer, strongest first (RFC 7616 asks clients to prefer SHA-256). */
const PREFERENCE: readonly string[] = ["SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS"];

function algorithmOf(challenge: Challenge): string {
  return (challenge.params.algorithm ?? "MD5").toUpperCase();
}

/** The Digest challenge we answer: the strongest algorithm we support with qop auth or none. */
export function pickDigest(challenges: readonly Challenge[]): Challenge | undefined {
  const usable = challenges.filter((challenge) => {
    if (challenge.scheme !== "digest") return false;
    if (!challenge.params.realm || challenge.params.nonce === undefined) return false;
    if (!PREFERENCE.includes(algorithmOf(challenge))) return false;
    const qop = challenge.params.qop;
    return qop === undefined || qopList(qop).includes("auth");
  });
  return usable.sort(
    (a, b) => PREFERENCE.indexOf(algorithmOf(a)) - PREFERENCE.indexOf(algorithmOf(b)),
  )[0];
}

function qopList(qop: string): string[] {
  return qop.split(",").map((item) => item.trim().toLowerCase());
}

const quote = (value: string) => value.replace(/["\\]/g, "\\$&");

/**
 * Answers a camera's Digest challenge (RFC 7616: MD5 or SHA-256, with or without -sess, qop=auth
 * or the RFC 2069 form) for each request of a session, counting the nonce's uses.
 */
export class DigestAnswerer {
  readonly #algorithm: Algorithm;
  readonly #session: boolean;
  readonly #qop: "auth" | undefined;
  readonly #cnonce: string;
  #nc = 0;

  constructor(
    private readonly challenge: Challenge,
    private readonly credentials: CameraCredentials,
    cnonce = randomBytes(12).toString("hex"),
  ) {
    this.#cnonce = cnonce;
    const algorithm = algorithmOf(challenge);
    this.#session = algorithm.endsWith("-SESS");
    this.#algorithm = algorithm.replace(/-SESS$/, "") as Algorithm;
    this.#qop = challenge.params.qop === undefined ? undefined : "auth";
  }

  #hash(text: string): string {
    return createHash(HASHES[this.#algorithm]).update(text, "utf8").digest("hex");
  }

  /** The Authorization header value for one request. */
  authorization(method: string, uri: string): string {
    const { params } = this.challenge;
    const { username, password } = this.credentials;
    const realm = params.realm ?? "";
    const nonce = params.nonce ?? "";
    const nc = (++this.#nc).toString(16).padStart(8, "0");
    let ha1 = this.#hash(`${username}:${realm}:${password}`);
    if (this.#session) ha1 = this.#hash(`${ha1}:${nonce}:${this.#cnonce}`);
    const ha2 = this.#hash(`${method}:${uri}`);
    const response = this.#qop
      ? this.#hash(`${ha1}:${nonce}:${nc}:${this.#cnonce}:auth:${ha2}`)
      : this.#hash(`${ha1}:${nonce}:${ha2}`);
    const parts = [
      `username="${quote(username)}"`,
      `realm="${quote(realm)}"`,
      `nonce="${quote(nonce)}"`,
      `uri="${quote(uri)}"`,
      `response="${response}"`,
    ];
    if (params.algorithm !== undefined) parts.push(`algorithm=${params.algorithm}`);
    if (params.opaque !== undefined) parts.push(`opaque="${quote(params.opaque)}"`);
    if (this.#qop) parts.push("qop=auth", `nc=${nc}`, `cnonce="${this.#cnonce}"`);
    return `Digest ${parts.join(", ")}`;
  }
}

/** RFC 7617 Basic: the password in clear. Only for a camera a technician marked allowBasicAuth. */
export function basicAuthorization(credentials: CameraCredentials): string {
  const pair = `${credentials.username}:${credentials.password}`;
  return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
}
