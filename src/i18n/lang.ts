/** The languages text for technicians and site owners is written in. */
export const LANGS = ["vi", "en"] as const;
export type Lang = (typeof LANGS)[number];

export const DEFAULT_LANG: Lang = "vi";
export const DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh";

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}
