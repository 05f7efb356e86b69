import { createHash } from "node:crypto";

/** HTTP/RTSP Digest authentication (RFC 2617 / 7616, MD5): the parts both sides compute. */

/** Splits `a="b", c=d` into its parameters (lower-case names); quoted values may hold commas. */
export function parseAuthParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const match of header.matchAll(pattern)) {
    const [, key = "", quoted, bare] = match;
    params[key.toLowerCase()] =
      quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : (bare ?? "");
  }
  return params;
}

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

export interface DigestInput {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** "auth", or undefined for the RFC 2069 form without qop. */
  qop?: string | undefined;
  nc?: string | undefined;
  cnonce?: string | undefined;
}

/** The `response` value: what a client sends and what a server expects. */
export function digestResponse(input: DigestInput): string {
  const ha1 = md5(`${input.username}:${input.realm}:${input.password}`);
  const ha2 = md5(`${input.method}:${input.uri}`);
  return input.qop === "auth"
    ? md5(`${ha1}:${input.nonce}:${input.nc ?? ""}:${input.cnonce ?? ""}:auth:${ha2}`)
    : md5(`${ha1}:${input.nonce}:${ha2}`);
}
