/** The faults the field does to a box, each with how long it lasts (0 for an instant). */
export const FAULT_KINDS = [
  "agent-kill",
  "ffmpeg-kill",
  "camera-stop",
  "stream-stall",
  "broker-stop",
  "disk-fill",
  "clock-jump",
  "link-cut",
  "link-delay",
  "link-throttle",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  kind: FaultKind;
  /** From the start of the chaos period. */
  atMs: number;
  durationMs: number;
  /** Camera index, clock offset in seconds, delay in ms or bytes per second, by kind. */
  value: number;
}

/** A fault as it happened, in real time; the invariants ask which of them explain a gap. */
export interface FaultRecord {
  kind: FaultKind;
  fromMs: number;
  toMs: number;
  /** The camera it hit; undefined when it hit the whole box. */
  cameraId?: string;
  detail: string;
}

/** mulberry32: a small seeded generator, so a run's faults can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How long each kind lasts, as a share of the run capped in absolute terms. */
function durationOf(kind: FaultKind, random: () => number, runMs: number): number {
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const scale = Math.min(1, runMs / (30 * 60_000));
  switch (kind) {
    case "agent-kill":
    case "ffmpeg-kill":
      return 0;
    case "camera-stop":
      return between(15_000, 15_000 + 45_000 * scale);
    case "stream-stall":
      return between(20_000, 20_000 + 40_000 * scale);
    case "broker-stop":
      return between(20_000, 20_000 + 160_000 * scale);
    case "disk-fill":
      return between(20_000, 20_000 + 100_000 * scale);
    case "clock-jump":
      return between(20_000, 20_000 + 100_000 * scale);
    case "link-cut":
      return between(10_000, 10_000 + 50_000 * scale);
    case "link-delay":
    case "link-throttle":
      return between(20_000, 20_000 + 100_000 * scale);
  }
}

function valueOf(kind: FaultKind, random: () => number, cameras: number): number {
  switch (kind) {
    case "ffmpeg-kill":
    case "camera-stop":
    case "stream-stall":
      return Math.floor(random() * cameras);
    case "clock-jump":
      // Up to 20 minutes either way (never back past the certificates' one-hour margin).
      return Math.round((random() < 0.5 ? -1 : 1) * (120 + random() * 1080));
    case "link-delay":
      return Math.round(100 + random() * 900);
    case "link-throttle":
      return Math.round(16_384 + random() * 49_152);
    default:
      return 0;
  }
}

/**
 * The faults of a run, from its seed: every kind at least once, in a shuffled order, then more
 * at random until the chaos period is full. Moments are random; a kind (or the link) is never
 * hit twice at once.
 */
export function planFaults(options: {
  seed: number;
  chaosMs: number;
  cameras: number;
  /** Mean pause between two faults starting. */
  meanGapMs: number;
}): PlannedFault[] {
  const random = seededRandom(options.seed);
  const kinds = [...FAULT_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind];
  }
  // The link faults set one relay's mode: they share one slot, as each kind has its own.
  const slotOf = (kind: FaultKind) => (kind.startsWith("link-") ? "link" : kind);
  const busyUntil = new Map<string, number>();
  const planned: PlannedFault[] = [];
  let at = 0;
  const gapFor = (left: number) => Math.min(left, -Math.log(1 - random()) * options.meanGapMs);
  for (let index = 0; at < options.chaosMs; index++) {
    const first = index < kinds.length;
    const kind = first
      ? (kinds[index] as FaultKind)
      : (FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] as FaultKind);
    // The first round is spread evenly enough that every kind fits in a short run.
    at += first
      ? ((options.chaosMs * 0.8) / kinds.length) * (0.5 + random() * 0.5)
      : gapFor(options.chaosMs);
    const freeAt = busyUntil.get(slotOf(kind)) ?? 0;
    if (first) at = Math.max(at, freeAt);
    else if (freeAt > at) continue;
    if (at >= options.chaosMs) break;
    const durationMs = Math.min(durationOf(kind, random, options.chaosMs), options.chaosMs - at);
    planned.push({
      kind,
      atMs: Math.round(at),
      durationMs,
      value: valueOf(kind, random, options.cameras),
    });
    busyUntil.set(slotOf(kind), at + durationMs + 5_000);
  }
  return planned;
}
