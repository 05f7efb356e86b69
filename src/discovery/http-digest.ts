import { randomBytes } from "node:crypto";
import { digestResponse, parseAuthParams } from "../util/http-digest.js";

/**
 * The Authorization header answering an MD5 Digest challenge (RFC 7616, qop=auth or none).
 * Returns undefined for any other scheme or algorithm, which we then do not try.
 */
export function digestAuthorization(
  challenges: string | string[] | undefined,
  method: string,
  uri: string,
  username: string,
  password: string,
): string | undefined {
  const list = Array.isArray(challenges) ? challenges : challenges ? [challenges] : [];
  const challenge = list.find((value) => /^Digest\s/i.test(value));
  if (!challenge) return undefined;
  const p = parseAuthParams(challenge.slice(7));
  if (!p.realm || !p.nonce) return undefined;
  if (p.algorithm && p.algorithm.toUpperCase() !== "MD5") return undefined;
  const qop = p.qop
    ?.split(",")
    .map((q) => q.trim())
    .includes("auth")
    ? "auth"
    : undefined;
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const response = digestResponse({
    username,
    realm: p.realm,
    password,
    method,
    uri,
    nonce: p.nonce,
    qop,
    nc,
    cnonce,
  });
  const quote = (value: string) => value.replace(/["\\]/g, "\\$&");
  const parts = [
    `username="${quote(username)}"`,
    `realm="${quote(p.realm)}"`,
    `nonce="${quote(p.nonce)}"`,
    `uri="${quote(uri)}"`,
    `response="${response}"`,
    "algorithm=MD5",
  ];
  if (p.opaque) parts.push(`opaque="${quote(p.opaque)}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(", ")}`;
}
