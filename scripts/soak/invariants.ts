import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ReceivedSegment } from "../../src/center/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { eventBody, segmentBody } from "../../src/uplink/bodies.js";
import { PAYLOAD_SCHEMAS, SiteTopics } from "../../src/protocol/index.js";
import type { AgentExit, RssSample } from "./agent-process.js";
import type { ClockChange } from "./chaos.js";
import type { FaultKind, FaultRecord } from "./faults.js";

export interface Verdict {
  invariant: string;
  holds: boolean;
  detail: string;
}

export interface DiskSample {
  atMs: number;
  usedBytes: number;
  quotaBytes: number;
}

/** Files under a folder, with their sizes. */
export async function filesUnder(dir: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (info) files.set(path, info.size);
  }
  return files;
}

async function sha256Of(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Disk use never above the quota plus one segment per camera, at any sample. */
export function diskWithinQuota(samples: readonly DiskSample[], segmentAllowance: number): Verdict {
  const worst = samples.reduce<DiskSample | undefined>(
    (max, sample) =>
      !max || sample.usedBytes - sample.quotaBytes > max.usedBytes - max.quotaBytes ? sample : max,
    undefined,
  );
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  const holds =
    samples.length > 0 && samples.every((s) => s.usedBytes <= s.quotaBytes + segmentAllowance);
  return {
    invariant: "disk use <= quota + one segment per camera",
    holds,
    detail: worst
      ? `${samples.length} samples; peak ${mib(worst.usedBytes)} MiB against ${mib(worst.quotaBytes)} + ${mib(segmentAllowance)} MiB`
      : "no sample",
  };
}

/** After the clean stop: every stored row has its file, same size and hash; no file without a row. */
export async function indexMatchesDisk(store: Store, storageDir: string): Promise<Verdict> {
  const files = await filesUnder(storageDir);
  const rows = [...store.repos.segments.stored()];
  const problems: string[] = [];
  for (const row of rows) {
    const size = files.get(row.path);
    files.delete(row.path);
    if (size === undefined) problems.push(`row ${row.id} has no file`);
    else if (size !== row.bytes)
      problems.push(`row ${row.id}: ${size} bytes on disk, ${row.bytes} indexed`);
    else if ((await sha256Of(row.path)) !== row.sha256)
      problems.push(`row ${row.id}: hash differs`);
  }
  for (const path of files.keys()) problems.push(`file without a row: ${path}`);
  return {
    invariant: "index and disk agree",
    holds: problems.length === 0,
    detail:
      problems.length === 0
        ? `${rows.length} segments, every one hashed`
        : problems.slice(0, 5).join("; "),
  };
}

/**
 * Every segment the box recorded is at the center byte-identical, or still waiting in the box,
 * or was reported lost with an event.
 */
export async function everySegmentAccountedFor(
  store: Store,
  received: readonly ReceivedSegment[],
  centerVideo: (row: SegmentRecord) => string,
): Promise<Verdict> {
  const atCenter = new Map(received.map((segment) => [segment.file, segment]));
  const reportedLost = new Set(
    store.repos.events
      .after(0, 10_000_000)
      .filter((event) => event.kind === "segment_lost_unforwarded")
      .map((event) => event.detail["segmentId"]),
  );
  const counts = { atCenter: 0, waiting: 0, reportedLost: 0 };
  const problems: string[] = [];
  for (const row of store.repos.segments.after(0, 10_000_000)) {
    const wasForwarded = row.state === "forwarded" || row.forwardedMs !== null;
    if (wasForwarded) {
      const copy = atCenter.get(centerVideo(row));
      if (!copy) problems.push(`segment ${row.id} forwarded but not at the center`);
      else if (!copy.verified || copy.sha256 !== row.sha256 || copy.index !== "match")
        problems.push(`segment ${row.id} differs at the center`);
      else counts.atCenter++;
    } else if (row.state === "closed" || row.state === "recording") counts.waiting++;
    else if (reportedLost.has(row.id)) counts.reportedLost++;
    else problems.push(`segment ${row.id} ${row.state} without an event`);
  }
  return {
    invariant: "every segment at the center, queued, or reported lost",
    holds: problems.length === 0,
    detail:
      problems.length === 0
        ? `${counts.atCenter} at the center byte-identical, ${counts.waiting} waiting, ${counts.reportedLost} reported lost`
        : problems.slice(0, 5).join("; "),
  };
}

async function keptBodies(file: string): Promise<unknown[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { payload: unknown }).payload);
}

/**
 * Events and segment-index entries: what the center kept (after its de-duplication), followed by
 * what is still in the outbox, is exactly what the box produced, in order.
 */
export async function outboxExactlyOnce(
  store: Store,
  siteId: string,
  centerDir: string,
): Promise<Verdict> {
  const topics = new SiteTopics(siteId);
  const produced = new Map<string, unknown[]>();
  const add = (map: Map<string, unknown[]>, topic: string, body: unknown) =>
    map.set(topic, [...(map.get(topic) ?? []), body]);
  const { events, segments, outbox } = store.repos;
  for (const event of events.after(0, 10_000_000))
    add(produced, topics.events(event.cameraId), {
      schema: PAYLOAD_SCHEMAS.events,
      ...eventBody(event),
    });
  for (const segment of segments.after(0, 10_000_000))
    add(produced, topics.camera(segment.cameraId, "segments"), {
      schema: PAYLOAD_SCHEMAS.segments,
      ...segmentBody(segment),
    });
  const queued = new Map<string, unknown[]>();
  for (const message of outbox.peek(10_000_000))
    add(queued, message.topic, JSON.parse(message.payload.toString("utf8")) as unknown);
  const problems: string[] = [];
  let delivered = 0;
  for (const [topic, bodies] of produced) {
    const [, , , ...rest] = topic.split("/");
    const arrived = await keptBodies(`${join(centerDir, siteId, ...rest)}.jsonl`);
    delivered += arrived.length;
    const seen = JSON.stringify([...arrived, ...(queued.get(topic) ?? [])]);
    if (seen !== JSON.stringify(bodies))
      problems.push(
        `${topic}: ${arrived.length} arrived + ${queued.get(topic)?.length ?? 0} queued, ${bodies.length} produced`,
      );
  }
  return {
    invariant: "outbox delivered exactly once, in order",
    holds: problems.length === 0,
    detail:
      problems.length === 0
        ? `${delivered} messages on ${produced.size} topics`
        : problems.slice(0, 5).join("; "),
  };
}

/**
 * RSS bounded, with no growth trend: in the longest run of the agent, after a minute's warm-up,
 * the last third's median is within 15 % (+ 8 MiB) of the first third's.
 */
export function rssBounded(samples: readonly RssSample[], capMiB: number): Verdict {
  const peak = Math.max(0, ...samples.map((s) => s.mib));
  const runs = new Map<number, RssSample[]>();
  for (const sample of samples)
    if (sample.sinceStartMs >= 60_000)
      runs.set(sample.run, [...(runs.get(sample.run) ?? []), sample]);
  const longest = [...runs.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const third = Math.floor(longest.length / 3);
  let trend = "no run long enough for a trend";
  let trendHolds = true;
  if (third >= 4) {
    const first = median(longest.slice(0, third).map((s) => s.mib));
    const last = median(longest.slice(-third).map((s) => s.mib));
    trendHolds = last <= first * 1.15 + 8;
    const minutes = ((longest.at(-1)?.sinceStartMs ?? 0) / 60_000).toFixed(0);
    trend = `median ${first.toFixed(0)} -> ${last.toFixed(0)} MiB over a ${minutes}-minute run`;
  }
  return {
    invariant: "agent RSS bounded, no growth trend",
    holds: samples.length > 0 && peak <= capMiB && trendHolds,
    detail: `peak ${peak.toFixed(0)} MiB (cap ${capMiB}); ${trend}`,
  };
}

/** No exit of the agent but the injected ones, and no crash or unhandled error in its log. */
export function noUnexpectedCrash(exits: readonly AgentExit[], log: string): Verdict {
  const unexpected = exits.filter((exit) => !exit.injected);
  const fatal = log
    .split("\n")
    .filter((line) => /"level":60|unhandled|uncaught/i.test(line))
    .map((line) => line.slice(0, 200));
  return {
    invariant: "no crash or unhandled rejection but the injected",
    holds: unexpected.length === 0 && fatal.length === 0,
    detail:
      unexpected.length + fatal.length === 0
        ? `${exits.length} exits, all injected or the final stop`
        : [...unexpected.map((e) => `exit code ${e.code} signal ${e.signal}`), ...fatal]
            .slice(0, 5)
            .join("; "),
  };
}

const GAP_CAUSES: readonly FaultKind[] = [
  "agent-kill",
  "ffmpeg-kill",
  "camera-stop",
  "stream-stall",
  "clock-jump",
];

/** The box clock's offset at a real moment. */
function offsetAt(clock: readonly ClockChange[], atMs: number): number {
  return clock.filter((change) => change.atMs <= atMs).at(-1)?.offsetMs ?? 0;
}

/**
 * Recording gaps only where faults explain them: each gap (in box time, between consecutive
 * segments of a camera) must be covered, end to end, by the box-time windows of faults that stop
 * recording, each from its start to `recoveryMs` after its end (ffmpeg's backoff, the stall
 * watchdog, a restart). A gap that outlasts its fault by more than that is not explained.
 */
export function gapsExplained(input: {
  segments: readonly SegmentRecord[];
  faults: readonly FaultRecord[];
  clock: readonly ClockChange[];
  segmentMs: number;
  recoveryMs: number;
}): Verdict {
  const windows = input.faults
    .filter((fault) => GAP_CAUSES.includes(fault.kind))
    .map((fault) => {
      const offsets = input.clock
        .filter((c) => c.atMs >= fault.fromMs - 2_000 && c.atMs <= fault.toMs + input.recoveryMs)
        .map((c) => c.offsetMs)
        .concat(offsetAt(input.clock, fault.fromMs - 1));
      return {
        cameraId: fault.cameraId,
        fromMs: fault.fromMs + Math.min(...offsets) - input.segmentMs,
        toMs: fault.toMs + input.recoveryMs + Math.max(...offsets),
      };
    })
    .sort((a, b) => a.fromMs - b.fromMs);
  const covered = (cameraId: string, fromMs: number, toMs: number) => {
    let reached = fromMs;
    for (const w of windows) {
      if (w.cameraId !== undefined && w.cameraId !== cameraId) continue;
      if (w.fromMs <= reached) reached = Math.max(reached, w.toMs);
    }
    return reached >= toMs;
  };
  const byCamera = new Map<string, SegmentRecord[]>();
  for (const segment of input.segments)
    byCamera.set(segment.cameraId, [...(byCamera.get(segment.cameraId) ?? []), segment]);
  let gaps = 0;
  const unexplained: string[] = [];
  for (const [cameraId, segments] of byCamera) {
    segments.sort((a, b) => a.id - b.id);
    for (let i = 1; i < segments.length; i++) {
      const [prev, next] = [segments[i - 1], segments[i]];
      if (!prev || !next || next.startMs - prev.endMs <= input.segmentMs / 2) continue;
      gaps++;
      if (!covered(cameraId, prev.endMs, next.startMs))
        unexplained.push(
          `${cameraId} ${new Date(prev.endMs).toISOString()} -> ${new Date(next.startMs).toISOString()}`,
        );
    }
  }
  return {
    invariant: "recording gaps only where a fault explains them",
    holds: unexplained.length === 0,
    detail:
      unexplained.length === 0
        ? `${gaps} gaps, each covered by a fault`
        : `unexplained: ${unexplained.slice(0, 4).join("; ")}`,
  };
}

export function table(verdicts: readonly Verdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.invariant.length));
  return verdicts
    .map((v) => `${v.holds ? "HOLDS " : "BROKEN"}  ${v.invariant.padEnd(width)}  ${v.detail}`)
    .join("\n");
}
