import { OnvifCallError } from "../discovery/index.js";
import type { Lang } from "../i18n/index.js";

/**
 * camgate's own words in an audit's evidence, in every language a report is written in. What a
 * camera said (a banner, a header, a fault) is never translated: it goes in `verbatim`.
 */
export type Said = Readonly<Record<Lang, string>>;

export function said(en: string, vi: string): Said {
  return { en, vi };
}

/** Text that reads the same in every language: what a camera said, an address, a list of names. */
export function verbatim(text: string): Said {
  return { en: text, vi: text };
}

/** Parts joined in each language. */
export function joined(parts: readonly Said[], separator = "; "): Said {
  return {
    en: parts.map((part) => part.en).join(separator),
    vi: parts.map((part) => part.vi).join(separator),
  };
}

/** Each language's text through `format`, e.g. to add a prefix to both. */
export function mapSaid(text: Said, format: (part: string, lang: Lang) => string): Said {
  return { en: format(text.en, "en"), vi: format(text.vi, "vi") };
}

/**
 * Why a probe got no answer, as the probes word it: their own phrases in both languages, and a
 * system error code (ECONNRESET...) as it is.
 */
export function probeReason(reason: string): Said {
  const within = /^no (answer|handshake|RTSP reply) within (\d+) ms$/.exec(reason);
  if (within) {
    const ms = within[2] ?? "";
    const vi = {
      answer: `không có trả lời trong ${ms} ms`,
      handshake: `không bắt tay TLS xong trong ${ms} ms`,
      "RTSP reply": `không có trả lời RTSP trong ${ms} ms`,
    }[within[1] as "answer" | "handshake" | "RTSP reply"];
    return said(reason, vi);
  }
  const fixed: Record<string, string> = {
    "connection refused": "kết nối bị từ chối",
    "connection closed before a reply": "kết nối bị đóng trước khi có trả lời",
    aborted: "đã dừng",
    "RTSP reply too large": "trả lời RTSP quá lớn",
  };
  return said(reason, fixed[reason] ?? reason);
}

/** The ms of "... within N ms" / "... longer than N ms" in a message, if any. */
function millis(message: string): string | undefined {
  return /(?:within|longer than) (\d+) ms/.exec(message)?.[1];
}

/** A failed ONVIF call, worded for the report; the camera's own fault text is kept as it is. */
export function onvifErrorSaid(error: OnvifCallError): Said {
  const { message, fault, status } = error;
  const detail = fault?.reason ? ` (${fault.reason})` : status ? ` (HTTP ${status})` : "";
  switch (error.kind) {
    case "timeout": {
      const ms = millis(message);
      return said(message, ms ? `không trả lời trong ${ms} ms` : "không trả lời kịp");
    }
    case "unreachable": {
      const code = /is unreachable: (.*)$/.exec(message)?.[1];
      return said(
        message,
        code ? `không kết nối được (${code})` : "địa chỉ ONVIF của camera không dùng được",
      );
    }
    case "not-authorized":
      return said(message, `bị từ chối: không có quyền${detail}`);
    case "fault": {
      const subcode = fault ? (fault.subcodes.at(-1) ?? fault.code) : "";
      return said(message, `camera trả lỗi SOAP ${subcode}${fault ? `: ${fault.reason}` : ""}`);
    }
    case "http":
      return said(
        message,
        `camera trả lời HTTP ${status ?? "?"}${/without a SOAP reply/.test(message) ? " không kèm nội dung SOAP" : ""}`,
      );
    case "too-large":
      return said(message, "trả lời của camera quá lớn, không đọc");
    case "malformed":
      return said(
        message,
        `trả lời của camera không đọc được: ${message.replace(/^.*?unusable reply: /, "")}`,
      );
  }
}

/** Any error a probe or a call ended with, worded for the report. */
export function errorSaid(error: unknown): Said {
  if (error instanceof OnvifCallError) return onvifErrorSaid(error);
  return probeReason(error instanceof Error ? error.message : String(error));
}
