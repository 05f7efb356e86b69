/** An xs:duration as ONVIF uses it (PT5S, PT1M30S, PT0.5S, P1DT2H) in ms; undefined if unreadable. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined || text === "P" || text.endsWith("T")) return undefined;
  const match =
    /^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,9}(?:\.\d{1,6})?)S)?)?$/.exec(
      text,
    );
  if (!match) return undefined;
  const [, d = "0", h = "0", m = "0", s = "0"] = match;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Math.round(Number(s) * 1000);
}

/** Milliseconds as an xs:duration with whole seconds (at least PT1S). */
export function formatDuration(ms: number): string {
  return `PT${Math.max(1, Math.round(ms / 1000))}S`;
}
