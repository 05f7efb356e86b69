import { REDACTED, redactText } from "../log/index.js";
import type { Lang } from "../i18n/index.js";
import type { Said } from "./said.js";
import type { Evidence, EvidenceText } from "./types.js";

const MAX_EVIDENCE_CHARS = 600;

const XML_SECRETS = /(<(?:[\w-]+:)?(Password|Nonce|Created)\b[^>]*>)[\s\S]*?(<\/(?:[\w-]+:)?\2>)/gi;
const JSON_SECRETS = /("(?:password|session|random|token)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/gi;
/** `password=…`, `Password: …`, `pwd=…` in free text and key=value summaries. */
const TEXT_SECRETS = /\b((?:pass(?:word|wd)?|pwd)\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"'<>]+)/gi;

const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * A known secret as a whole token: where it begins (ends) with a letter or digit, the character
 * before (after) it must not be one, so "pass" is found in "pass=x" but not in "password".
 */
function tokenPattern(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const before = WORD_CHAR.test(secret.at(0) ?? "") ? "(?<![\\p{L}\\p{N}])" : "";
  const after = WORD_CHAR.test(secret.at(-1) ?? "") ? "(?![\\p{L}\\p{N}])" : "";
  return new RegExp(`${before}${escaped}${after}`, "gu");
}

/**
 * Makes text fit for a report: the secrets this audit was given (the technician's password)
 * wherever they stand as a whole token, and any value in a password, nonce, session or
 * Authorization position, are removed; binary data is replaced by its size; the text is trimmed.
 * Nothing else is touched: a password "pass" leaves the word "password" alone, and a factory
 * password that is also a user name ("admin") is not removed from "as admin" or "Username=admin"
 * (factory passwords are public; only where one stands in a password position is it removed).
 */
export class EvidenceScrubber {
  readonly #secrets: RegExp[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a password that contains another is removed whole.
    this.#secrets = [...new Set(secrets.filter((secret) => secret.length >= 3))]
      .sort((a, b) => b.length - a.length)
      .map(tokenPattern);
  }

  text(value: string | Buffer | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (Buffer.isBuffer(value) && !looksTextual(value))
      return `[${value.length} bytes of binary data]`;
    let text = (Buffer.isBuffer(value) ? value.toString("utf8") : value)
      .replace(XML_SECRETS, `$1${REDACTED}$3`)
      .replace(JSON_SECRETS, `$1"${REDACTED}"`)
      .replace(TEXT_SECRETS, (match, head: string, secret: string) =>
        secret === REDACTED ? match : `${head}${REDACTED}`,
      );
    text = redactText(text);
    for (const secret of this.#secrets) text = text.replace(secret, REDACTED);
    text = text.replace(/[^\t\n\r\x20-\x7e\u00a0-\uffff]/g, "?");
    return text.length > MAX_EVIDENCE_CHARS
      ? `${text.slice(0, MAX_EVIDENCE_CHARS)}… [${text.length - MAX_EVIDENCE_CHARS} more characters]`
      : text;
  }

  /**
   * One probe's record. Camgate's own words come as `Said` (both languages); what the camera
   * sent back as a string or bytes, the same in every language.
   */
  record(
    probe: string,
    parts: { sent?: string | Buffer | Said; received?: string | Buffer | Said; note?: Said },
  ): Evidence {
    const evidence: Evidence = { probe };
    const vi: EvidenceText = {};
    for (const key of ["sent", "received", "note"] as const) {
      const part = parts[key];
      if (part === undefined) continue;
      const [en, local] = isSaid(part) ? [part.en, part.vi] : [part, undefined];
      const text = this.text(en);
      if (text !== undefined) evidence[key] = text;
      if (local !== undefined && local !== en) {
        const localText = this.text(local);
        if (localText !== undefined) vi[key] = localText;
      }
    }
    if (Object.keys(vi).length > 0) evidence.vi = vi;
    return evidence;
  }

  /** The record with its note set (replaced, if it had one), in both languages. */
  annotate(evidence: Evidence, note: Said): Evidence {
    const { vi, note: _replaced, ...rest } = evidence;
    const noted = this.record(rest.probe, { note });
    const { note: _replacedLocal, ...localRest } = vi ?? {};
    const local: EvidenceText = { ...localRest, ...noted.vi };
    return {
      ...rest,
      ...(noted.note !== undefined ? { note: noted.note } : {}),
      ...(Object.keys(local).length > 0 ? { vi: local } : {}),
    };
  }
}

function isSaid(part: string | Buffer | Said): part is Said {
  return typeof part === "object" && !Buffer.isBuffer(part);
}

/** The record's text in `lang`: camgate's own words translated, the camera's as they were. */
export function evidenceIn(evidence: Evidence, lang: Lang): EvidenceText {
  const { sent, received, note } = evidence;
  const local = lang === "vi" ? evidence.vi : undefined;
  return {
    ...(sent !== undefined ? { sent: local?.sent ?? sent } : {}),
    ...(received !== undefined ? { received: local?.received ?? received } : {}),
    ...(note !== undefined ? { note: local?.note ?? note } : {}),
  };
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
