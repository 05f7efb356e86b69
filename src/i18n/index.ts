export { DEFAULT_LANG, DEFAULT_TIME_ZONE, isLang, LANGS, type Lang } from "./lang.js";
export {
  formatDateTime,
  formatDateTimeZone,
  formatLongDate,
  isTimeZone,
  parseLocalTime,
  utcOffset,
} from "./time.js";
