import type { Advisory, AuditData, FirmwareRange } from "./vendor-data.js";

/** The numeric parts of a version text: "V5.4.0 build 160530" -> [5, 4, 0, 160530]. */
export function versionNumbers(text: string): number[] {
  return (text.match(/\d+/g) ?? []).slice(0, 8).map(Number);
}

export function compareVersions(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The build date in a firmware text: "build 210628", "Build Date: 2021-06-28" or "20210628". */
export function buildDate(text: string): string | undefined {
  const iso = /(20\d{2})[-./](\d{2})[-./](\d{2})/.exec(text);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const compact = /build\s*(\d{2})(\d{2})(\d{2})\b/i.exec(text);
  if (compact) return `20${compact[1]}-${compact[2]}-${compact[3]}`;
  const long = /\b(20\d{2})(\d{2})(\d{2})\b/.exec(text);
  return long ? `${long[1]}-${long[2]}-${long[3]}` : undefined;
}

function modelMatches(patterns: string[], model: string): boolean {
  const upper = model.toUpperCase();
  return patterns.some((pattern) => {
    const p = pattern.toUpperCase();
    return p.endsWith("*") ? upper.startsWith(p.slice(0, -1)) : upper === p;
  });
}

export type RangeVerdict = "affected" | "not-affected" | "undetermined";

export function inRange(range: FirmwareRange, firmware: string): RangeVerdict {
  const version = versionNumbers(firmware);
  if (range.from && compareVersions(version, versionNumbers(range.from)) < 0) return "not-affected";
  if (range.through && compareVersions(version, versionNumbers(range.through)) > 0)
    return "not-affected";
  if (range.before && compareVersions(version, versionNumbers(range.before)) >= 0)
    return "not-affected";
  if (range.buildBefore) {
    const date = buildDate(firmware);
    if (date === undefined) return "undetermined";
    if (date >= range.buildBefore) return "not-affected";
  }
  return "affected";
}

export interface AdvisoryMatch {
  advisory: Advisory;
  verdict: Exclude<RangeVerdict, "not-affected">;
}

/** Advisories whose vendor and model match, with whether the firmware is in the range. */
export function matchAdvisories(
  data: AuditData,
  device: { manufacturer: string; model: string; firmwareVersion: string },
): AdvisoryMatch[] {
  const manufacturer = device.manufacturer.toLowerCase();
  const matches: AdvisoryMatch[] = [];
  for (const advisory of data.advisories) {
    if (!manufacturer.includes(advisory.vendor)) continue;
    if (!modelMatches(advisory.models, device.model)) continue;
    const verdict = inRange(advisory.firmware, device.firmwareVersion);
    if (verdict !== "not-affected") matches.push({ advisory, verdict });
  }
  return matches;
}
