export const REDACTED = "[redacted]";

/** Keys whose values are secret wherever they appear in a logged object. */
const SECRET_KEY =
  /^(pass(word|wd|phrase)?|secret|token|access_?token|authorization|proxy-authorization|credentials?|private_?key|cookie|set-cookie|api_?key)$/i;

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;
const AUTH_HEADER = /\b((?:proxy-)?authorization\s*[:=]\s*)(basic|digest|bearer)?[^\r\n]*/gi;
const SECRET_PARAM = /([?&;]\s*(?:password|passwd|pwd|pass|token|auth|key)=)[^&\s#;]*/gi;

// Variants that never cross a JSON string boundary, for lines that are already serialised.
const URL_USERINFO_JSON = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"\\]*):([^\s/?#@"\\]*)@/gi;
const SECRET_PARAM_JSON = /([?&;]\s*(?:password|passwd|pwd|pass|token|auth|key)=)[^&\s#;"\\]*/gi;

/** Removes credentials from free text: URL user-info, Authorization headers, password params. */
export function redactText(text: string): string {
  return text
    .replace(
      URL_USERINFO,
      (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
    )
    .replace(AUTH_HEADER, (_match, head: string, scheme?: string) =>
      scheme ? `${head}${scheme} ${REDACTED}` : `${head}${REDACTED}`,
    )
    .replace(SECRET_PARAM, (_match, head: string) => `${head}${REDACTED}`);
}

/**
 * Last line of defence on a serialised JSON log line (child-logger bindings do not pass through
 * pino's formatters): removes URL credentials and password parameters without breaking the JSON.
 */
export function redactJsonLine(line: string): string {
  return line
    .replace(
      URL_USERINFO_JSON,
      (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
    )
    .replace(SECRET_PARAM_JSON, (_match, head: string) => `${head}${REDACTED}`);
}

/**
 * Deep copy of a log record with secret-named keys censored and every string passed through
 * redactText. Depth and breadth are bounded so a hostile object cannot stall logging.
 */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth > 8 || seen.has(value)) return "[truncated]";
  seen.add(value);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value))
    return value.slice(0, 100).map((item) => redactValue(item, depth + 1, seen));
  if (value instanceof Error) return redactError(value, depth, seen);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(child, depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name,
    message: redactText(error.message),
  };
  if (error.stack) out.stack = redactText(error.stack);
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined) out.code = code;
  if (error.cause !== undefined) out.cause = redactValue(error.cause, depth + 1, seen);
  return out;
}
