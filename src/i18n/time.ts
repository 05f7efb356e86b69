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
