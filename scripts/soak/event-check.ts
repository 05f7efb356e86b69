import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { DrivenChange } from "./event-driver.js";
import type { Verdict } from "./invariants.js";

/** GetSystemDateAndTime has whole seconds: a corrected camera time is right within 1 s. */
export const TIME_TOLERANCE_MS = 1000;
const DETECTORS = new Set(["motion", "tamper", "intrusion"]);

/** A camera event as the reference center kept it. */
export interface CenterEvent {
  id: number;
  tsMs: number;
  receivedMs: number;
  /** When the box got it from the camera (its detail's receivedAt); NaN if absent. */
  boxReceivedMs: number;
  kind: string;
  phase: string;
  startedAt: string | undefined;
  durationMs: number | undefined;
}

/** The detector events of one camera at the center, in the order they arrived. */
export async function centerEvents(centerDir: string, site: string, cameraId: string) {
  const path = join(centerDir, site, "cameras", cameraId, "events.jsonl");
  const text = await readFile(path, "utf8").catch(() => "");
  const events: CenterEvent[] = [];
  let unavailable = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const record = JSON.parse(line) as {
      receivedAt: string;
      payload: { id: number; ts: string; kind: string; detail: Record<string, unknown> };
    };
    const { payload } = record;
    if (payload.kind === "camera_events_unavailable") unavailable++;
    if (!DETECTORS.has(payload.kind)) continue;
    events.push({
      id: payload.id,
      tsMs: Date.parse(payload.ts),
      receivedMs: Date.parse(record.receivedAt),
      boxReceivedMs: Date.parse(String(payload.detail["receivedAt"])),
      kind: payload.kind,
      phase: String(payload.detail["phase"]),
      startedAt: payload.detail["startedAt"] as string | undefined,
      durationMs: payload.detail["durationMs"] as number | undefined,
    });
  }
  return { events, unavailable };
}

export interface EventFigures {
  driven: number;
  received: number;
  missing: number;
  extra: number;
  duplicates: number;
  outOfOrder: number;
  wrongPhase: number;
  /** Corrected times further than the tolerance from when the change was made. */
  timeErrors: number;
  maxTimeErrorMs: number;
  wrongDurations: number;
  /** Change to arrival at the center, for changes that met no outage. */
  latencyMs: number[];
}

/** Compares what one camera did with what the center has of it, change by change, in order. */
export function compareCamera(
  driven: readonly DrivenChange[],
  received: readonly CenterEvent[],
  figures: EventFigures,
): void {
  const ids = received.map((event) => event.id);
  figures.driven += driven.length;
  figures.received += received.length;
  figures.duplicates += ids.length - new Set(ids).size;
  figures.outOfOrder += ids.filter((id, index) => index > 0 && id <= (ids[index - 1] ?? 0)).length;
  const unique = received.filter((event, index) => ids.indexOf(event.id) === index);
  const starts = new Map<string, CenterEvent>();
  for (const [index, change] of driven.entries()) {
    const event = unique[index];
    if (!event) {
      figures.missing++;
      continue;
    }
    if (event.kind !== change.kind || event.phase !== (change.on ? "start" : "end"))
      figures.wrongPhase++;
    const error = Math.max(change.beforeMs - event.tsMs, event.tsMs - change.afterMs, 0);
    figures.maxTimeErrorMs = Math.max(figures.maxTimeErrorMs, error);
    if (error > TIME_TOLERANCE_MS) figures.timeErrors++;
    figures.latencyMs.push(event.receivedMs - change.afterMs);
    if (event.phase === "start") starts.set(event.kind, event);
    else {
      const start = starts.get(event.kind);
      if (
        !start ||
        event.durationMs !== event.tsMs - start.tsMs ||
        event.startedAt !== new Date(start.tsMs).toISOString()
      )
        figures.wrongDurations++;
    }
  }
  figures.extra += Math.max(0, unique.length - driven.length);
}

export function emptyFigures(): EventFigures {
  return {
    driven: 0,
    received: 0,
    missing: 0,
    extra: 0,
    duplicates: 0,
    outOfOrder: 0,
    wrongPhase: 0,
    timeErrors: 0,
    maxTimeErrorMs: 0,
    wrongDurations: 0,
    latencyMs: [],
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

export function eventVerdicts(figures: EventFigures): Verdict[] {
  return [
    {
      invariant: "every state change at the center exactly once",
      holds:
        figures.driven > 0 &&
        figures.missing === 0 &&
        figures.extra === 0 &&
        figures.duplicates === 0,
      detail:
        `${figures.driven} changes, ${figures.received} received, ${figures.missing} missing, ` +
        `${figures.extra} extra, ${figures.duplicates} duplicates`,
    },
    {
      invariant: "in order per camera, start/end as made",
      holds: figures.outOfOrder === 0 && figures.wrongPhase === 0,
      detail: `${figures.outOfOrder} out of order, ${figures.wrongPhase} of another kind or phase`,
    },
    {
      invariant: "end carries the start and the duration",
      holds: figures.wrongDurations === 0,
      detail: `${figures.wrongDurations} wrong`,
    },
    {
      invariant: `corrected time within ${TIME_TOLERANCE_MS} ms`,
      holds: figures.timeErrors === 0,
      detail: `${figures.timeErrors} beyond; largest error ${figures.maxTimeErrorMs} ms`,
    },
  ];
}
