import { REDACTED, redactText } from "../log/index.js";
import type { Evidence } from "./types.js";

const MAX_EVIDENCE_CHARS = 600;

const XML_SECRETS = /(<(?:[\w-]+:)?(Password|Nonce|Created)\b[^>]*>)[\s\S]*?(<\/(?:[\w-]+:)?\2>)/gi;
const JSON_SECRETS = /("(?:password|session|random|token)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/gi;

/**
 * Makes text fit for a report: known secrets (the passwords this audit used) and any password,
 * nonce, session or Authorization value removed; binary data replaced by its size; trimmed.
 */
export class EvidenceScrubber {
  readonly #secrets: string[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a password that contains another is removed whole.
    this.#secrets = [...new Set(secrets.filter((secret) => secret.length >= 3))].sort(
      (a, b) => b.length - a.length,
    );
  }

  text(value: string | Buffer | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (Buffer.isBuffer(value) && !looksTextual(value))
      return `[${value.length} bytes of binary data]`;
    let text = (Buffer.isBuffer(value) ? value.toString("utf8") : value)
      .replace(XML_SECRETS, `$1${REDACTED}$3`)
      .replace(JSON_SECRETS, `$1"${REDACTED}"`);
    text = redactText(text);
    for (const secret of this.#secrets) text = text.split(secret).join(REDACTED);
    text = text.replace(/[^\t\n\r\x20-\x7e\u00a0-\uffff]/g, "?");
    return text.length > MAX_EVIDENCE_CHARS
      ? `${text.slice(0, MAX_EVIDENCE_CHARS)}… [${text.length - MAX_EVIDENCE_CHARS} more characters]`
      : text;
  }

  record(
    probe: string,
    parts: { sent?: string | Buffer; received?: string | Buffer; note?: string },
  ): Evidence {
    const evidence: Evidence = { probe };
    const sent = this.text(parts.sent);
    const received = this.text(parts.received);
    const note = this.text(parts.note);
    if (sent !== undefined) evidence.sent = sent;
    if (received !== undefined) evidence.received = received;
    if (note !== undefined) evidence.note = note;
    return evidence;
  }
}

function looksTextual(buffer: Buffer): boolean {
  const sample = buffer.subarray(0, 512);
  let control = 0;
  for (const byte of sample) if (byte < 9 || (byte > 13 && byte < 32)) control++;
  return control <= sample.length / 20;
}

/** An HTTP/RTSP response head as text: status line and headers, one per line. */
export function describeHead(
  status: string,
  headers: Record<string, string | string[] | undefined>,
): string {
  const lines = [status];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  return lines.join("\n");
}
