import { createHash, randomBytes } from "node:crypto";
import { NS, WSSE_BASE64, WSSE_PASSWORD_DIGEST } from "./namespaces.js";
import { escapeXml } from "./xml.js";

/** WS-Security UsernameToken PasswordDigest: Base64(SHA-1(nonce + created + password)). */
export function passwordDigest(nonce: Uint8Array, created: string, password: string): string {
  return createHash("sha1")
    .update(nonce)
    .update(created, "utf8")
    .update(password, "utf8")
    .digest("base64");
}

/**
 * A Security header for one request. `clockOffsetMs` is the camera's clock minus ours, so a
 * camera whose clock is years off still sees a fresh `Created`.
 */
export function usernameTokenHeader(
  user: string,
  password: string,
  clockOffsetMs = 0,
  nowMs = Date.now(),
): string {
  const nonce = randomBytes(16);
  const created = new Date(nowMs + clockOffsetMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  return (
    `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" s:mustUnderstand="1">` +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(user)}</wsse:Username>` +
    `<wsse:Password Type="${WSSE_PASSWORD_DIGEST}">${passwordDigest(nonce, created, password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${WSSE_BASE64}">${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}
