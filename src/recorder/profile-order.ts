/** A stored media profile as the inventory keeps it (JSON: every field may be anything). */
export interface RankedProfile {
  token?: unknown;
  name?: unknown;
  width?: unknown;
  height?: unknown;
  streamUri?: unknown;
}

const SUB_HINT =
  /sub(?!type)|second|minor|\blow\b|mobile|stream_?2\b|subtype=1|stream=1\.sdp|\/102$/i;
const MAIN_HINT = /main|major|first|\bhigh\b|stream_?1\b|subtype=0|stream=0\.sdp|\/101$/i;

function pixels(profile: RankedProfile): number | undefined {
  const { width, height } = profile;
  if (typeof width !== "number" || typeof height !== "number") return undefined;
  const product = width * height;
  return Number.isFinite(product) && product > 0 ? product : undefined;
}

/** -1: says it is a substream, 1: says it is the main stream, 0: says neither. */
function hint(profile: RankedProfile): number {
  const words = [profile.token, profile.name, profile.streamUri]
    .filter((word): word is string => typeof word === "string")
    .join(" ");
  if (SUB_HINT.test(words)) return -1;
  if (MAIN_HINT.test(words)) return 1;
  return 0;
}

/**
 * Profiles from the largest stream to the smallest (or the reverse). A profile whose encoder
 * reported no picture size is not 0 pixels: those go after every profile with a size, ordered
 * among themselves by what their token, name or URI says (main, sub) and then by the order the
 * camera listed them in (ONVIF cameras list the main stream first).
 */
export function orderProfiles<T extends RankedProfile>(
  profiles: readonly T[],
  order: "largest" | "smallest",
): T[] {
  const sign = order === "largest" ? 1 : -1;
  const ranked = profiles.map((profile, index) => ({
    profile,
    index,
    pixels: pixels(profile),
    hint: hint(profile),
  }));
  ranked.sort((a, b) => {
    if (a.pixels !== undefined && b.pixels !== undefined) return sign * (b.pixels - a.pixels);
    if (a.pixels !== undefined) return -1;
    if (b.pixels !== undefined) return 1;
    if (a.hint !== b.hint) return sign * (b.hint - a.hint);
    return sign * (a.index - b.index);
  });
  return ranked.map((entry) => entry.profile);
}
