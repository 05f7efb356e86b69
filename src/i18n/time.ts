import type { Lang } from "./lang.js";

/**
 * Times shown to people, in the site's time zone. Machine-readable output (JSON, MQTT, the store)
 * stays UTC ISO 8601; only what a person reads goes through here.
 */

const numeric = new Map<string, Intl.DateTimeFormat>();

function numericFormat(timeZone: string): Intl.DateTimeFormat {
  let format = numeric.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    numeric.set(timeZone, format);
  }
  return format;
}

/** Whether `name` is an IANA time zone this runtime knows ("Asia/Ho_Chi_Minh", "UTC"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function toDate(when: Date | string | number): Date {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a time: ${String(when)}`);
  return date;
}

interface WallClock {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

function wallClock(date: Date, timeZone: string): WallClock {
  const parts = new Map<string, string>();
  for (const part of numericFormat(timeZone).formatToParts(date)) parts.set(part.type, part.value);
  const get = (type: keyof WallClock) => parts.get(type) ?? "00";
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** The zone's offset from UTC at that instant, as "+07:00". */
export function utcOffset(when: Date | string | number, timeZone: string): string {
  const date = toDate(when);
  const p = wallClock(date, timeZone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  const minutes = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** "2026-12-03 01:23:45": fixed width and sortable, for tables (the same in every language). */
export function formatDateTime(when: Date | string | number, timeZone: string): string {
  const p = wallClock(toDate(when), timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** "2026-12-03 01:23 (UTC+07:00)": a table cell that says which zone it is in. */
export function formatDateTimeZone(when: Date | string | number, timeZone: string): string {
  const date = toDate(when);
  return `${formatDateTime(date, timeZone).slice(0, 16)} (UTC${utcOffset(date, timeZone)})`;
}

/** A date for prose: "Thứ Năm, 3 tháng 12, 2026" / "Thursday, 3 December 2026". */
export function formatLongDate(when: Date | string | number, timeZone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    timeZone,
    dateStyle: "full",
  }).format(toDate(when));
}

const LOCAL_TIME = /^(?:(\d{4})-(\d{2})-(\d{2})(?:[T ]|$))?(?:(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A time a person typed, read in the site's zone: "16:08" is today there, "2026-12-03 16:08"
 * and "2026-12-03T16:08:30" are that wall-clock time there, "2026-12-03" is the start of that
 * day there. A time with its own offset or Z ("…+07:00", "…Z") and "now" mean what they say.
 * Undefined when the text is none of these.
 */
export function parseLocalTime(
  text: string,
  timeZone: string,
  nowMs: number = Date.now(),
): number | undefined {
  const value = text.trim();
  if (value === "now") return nowMs;
  if (/(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) && /\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const match = LOCAL_TIME.exec(value);
  if (!match || (match[1] === undefined && match[4] === undefined)) return undefined;
  const today = wallClock(new Date(nowMs), timeZone);
  const field = (index: number, fallback: string) => Number(match[index] ?? fallback);
  const [year, month, day] = [field(1, today.year), field(2, today.month), field(3, today.day)];
  const [hour, minute, second] = [field(4, "0"), field(5, "0"), field(6, "0")];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  // The zone's offset at the instant itself: a second look settles a change of offset between.
  let ms = asUtc - offsetMs(asUtc, timeZone);
  ms = asUtc - offsetMs(ms, timeZone);
  return ms;
}

function offsetMs(when: number, timeZone: string): number {
  const text = utcOffset(when, timeZone);
  const sign = text.startsWith("-") ? -1 : 1;
  return sign * (Number(text.slice(1, 3)) * 60 + Number(text.slice(4, 6))) * 60_000;
}
