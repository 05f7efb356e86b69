import { readFile } from "node:fs/promises";
import type { Config } from "../config/index.js";
import { readRuntimeStatus, runtimeStatusPath, type ServiceState } from "./runtime-status.js";
import { type SoftwareStatus, softwareStatus } from "./software.js";
import { updateLayout } from "../update/index.js";
import { summarize } from "../pki/index.js";
import { quotaBytes, readDisk } from "../retention/index.js";
import type { Repositories } from "../store/index.js";

/** What `camgate status --json` prints; a documented, stable shape. */
export interface BoxStatus {
  site: { id: string; name: string | null };
  service: {
    state: ServiceState;
    pid: number | null;
    since: string | null;
    version: string | null;
    /** The Node.js version the running agent runs on; null when it does not run. */
    node: string | null;
  };
  /** The installed camgate, the Node.js this command runs on, the last update's outcome. */
  software: SoftwareStatus;
  certificate: { subject: string; notAfter: string; daysLeft: number } | { error: string } | null;
  uplink: {
    configured: boolean;
    /** null when the agent does not run: nobody knows. */
    connected: boolean | null;
    broker: string | null;
    lastError: string | null;
    outbox: { messages: number; bytes: number };
    videoBacklog: { segments: number; bytes: number };
  };
  cameras: CameraStatus[];
  storage: {
    dir: string;
    storedBytes: number;
    quotaBytes: number | null;
    freeBytes: number | null;
    lockedBytes: number;
  };
  /** Why the exit code is not 0; empty when all is well. */
  attention: string[];
}

export interface CameraStatus {
  id: string;
  name: string | null;
  ip: string | null;
  enabled: boolean;
  /** pending: discovery found it; it gets no credential and is not recorded until approved. */
  trust: "pending" | "approved";
  /** A claim on its identity, or a mismatch with its pin, in words; null when none. */
  identityIssue: { kind: "claimed" | "mismatch"; detail: string } | null;
  online: boolean;
  /** Is its ffmpeg running; null when the agent does not run or records no such camera. */
  recording: boolean | null;
  /** Why the recorder refuses its stream (e.g. MJPEG), while it does. */
  refused: string | null;
  /** The same reason in Vietnamese. */
  refusedVi: string | null;
  lastSegmentAgeSeconds: number | null;
  bytesToday: number;
  audit: {
    finishedAt: string;
    summary: Record<string, number>;
    /** Ids of the high and critical controls the camera failed. */
    blocking: string[];
  } | null;
  /** Whether interrogation found a stream to record (it needs working credentials). */
  streamKnown: boolean;
  /**
   * Its ONVIF events (motion, tamper...) cannot be received: why (no-event-service, fault,
   * malformed, too-large, timeout...), from the last report; null when they can or nobody tried.
   */
  eventsUnavailable: string | null;
}

/** The reason of the camera's last camera_events_unavailable, unless events resumed since. */
function eventsUnavailable(repos: Repositories, cameraId: string): string | null {
  const [down] = repos.events.list({ cameraId, kind: "camera_events_unavailable", limit: 1 });
  if (!down) return null;
  const [up] = repos.events.list({ cameraId, kind: "camera_events_resumed", limit: 1 });
  if (up && (up.tsMs > down.tsMs || (up.tsMs === down.tsMs && up.id > down.id))) return null;
  const reason = down.detail["reason"];
  return typeof reason === "string" ? reason : "unknown";
}

const CERTIFICATE_WARN_DAYS = 30;

function startOfLocalDay(nowMs: number): number {
  const day = new Date(nowMs);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

async function certificateStatus(config: Config, nowMs: number): Promise<BoxStatus["certificate"]> {
  // The certificate is the uplink's: with no broker, nothing uses it and nothing is said of it.
  if (!config.uplink.cert || config.uplink.brokers.length === 0) return null;
  try {
    const summary = summarize(await readFile(config.uplink.cert, "utf8"), nowMs);
    return { subject: summary.subject, notAfter: summary.notAfter, daysLeft: summary.daysLeft };
  } catch (error) {
    return { error: `${config.uplink.cert}: ${(error as Error).message}` };
  }
}

/** The box on one screen, from the store, the files and the running agent's runtime status. */
export async function gatherStatus(
  config: Config,
  repos: Repositories,
  nowMs = Date.now(),
): Promise<BoxStatus> {
  const { status: runtime, service } = await readRuntimeStatus(
    runtimeStatusPath(config.store.path),
    nowMs,
  );
  const live = service === "running" || service === "stopping" || service === "stale";
  const alive = live ? runtime : undefined;
  const segmentMs = config.storage.segmentSeconds * 1000;
  const today = startOfLocalDay(nowMs);
  const cameras = repos.cameras.list().map((camera): CameraStatus => {
    const recent = repos.segments.recent(camera.id, today);
    const [audit] = repos.auditReports.latest(camera.id);
    return {
      id: camera.id,
      name: camera.name,
      ip: camera.ip,
      enabled: camera.enabled,
      trust: camera.trust,
      identityIssue: camera.identityIssue && {
        kind: camera.identityIssue.kind,
        detail: camera.identityIssue.detail,
      },
      online: camera.reachable,
      recording: alive?.recording?.[camera.id] ?? null,
      refused: alive?.refused?.[camera.id] ?? null,
      refusedVi: alive?.refusedVi?.[camera.id] ?? null,
      lastSegmentAgeSeconds:
        recent.newestMs === null ? null : Math.max(0, Math.round((nowMs - recent.newestMs) / 1000)),
      bytesToday: recent.bytesSince,
      audit: audit
        ? {
            finishedAt: new Date(audit.finishedMs).toISOString(),
            summary: audit.summary,
            blocking: blockingControls(audit.report),
          }
        : null,
      streamKnown: camera.profiles.some(
        (profile) => typeof (profile as { streamUri?: unknown }).streamUri === "string",
      ),
      eventsUnavailable: eventsUnavailable(repos, camera.id),
    };
  });
  const usage = repos.segments.usage().filter((entry) => entry.state === "closed");
  let disk: ReturnType<typeof readDisk> | undefined;
  try {
    disk = readDisk(config.storage.dir);
  } catch {
    disk = undefined;
  }
  const report: BoxStatus = {
    site: { id: config.site.id, name: config.site.name ?? null },
    service: {
      state: service,
      pid: alive?.pid ?? null,
      since: alive?.startedAt ?? null,
      version: alive?.version ?? null,
      node: alive?.node ?? null,
    },
    software: softwareStatus(updateLayout(config).stateFile),
    certificate: await certificateStatus(config, nowMs),
    uplink: {
      configured: config.uplink.brokers.length > 0,
      connected: alive?.uplink ? alive.uplink.connected : null,
      broker: alive?.uplink?.broker ?? null,
      lastError: alive?.uplink?.lastError ?? null,
      outbox: (({ count, bytes }) => ({ messages: count, bytes }))(repos.outbox.stats()),
      videoBacklog: {
        segments: usage.reduce((sum, entry) => sum + entry.segments, 0),
        bytes: usage.reduce((sum, entry) => sum + entry.bytes, 0),
      },
    },
    cameras,
    storage: {
      dir: config.storage.dir,
      storedBytes: repos.segments.storedBytes(),
      quotaBytes: disk ? quotaBytes(config.storage, disk) : null,
      freeBytes: disk?.freeBytes ?? null,
      lockedBytes: repos.segments.lockedBytes(nowMs),
    },
    attention: [],
  };
  report.attention = attention(report, segmentMs);
  return report;
}

function blockingControls(report: unknown): string[] {
  const controls = (report as { controls?: unknown }).controls;
  if (!Array.isArray(controls)) return [];
  return (controls as { id?: unknown; status?: unknown; severity?: unknown }[])
    .filter(
      (control) =>
        control.status === "fail" &&
        (control.severity === "high" || control.severity === "critical"),
    )
    .map((control) => String(control.id));
}

function attention(report: BoxStatus, segmentMs: number): string[] {
  const reasons: string[] = [];
  const { service, certificate, uplink, storage } = report;
  if (service.state === "stopped") reasons.push("the agent is not running");
  if (service.state === "stale") reasons.push("the agent runs but has not reported for a while");
  if (certificate && "error" in certificate) reasons.push(`certificate: ${certificate.error}`);
  else if (certificate && certificate.daysLeft < CERTIFICATE_WARN_DAYS)
    reasons.push(`the box certificate ends in ${certificate.daysLeft} days`);
  if (uplink.configured && uplink.connected === false)
    reasons.push(`uplink down${uplink.lastError ? `: ${uplink.lastError}` : ""}`);
  for (const camera of report.cameras) {
    const issue = camera.identityIssue;
    if (camera.trust === "pending" && camera.online)
      reasons.push(
        `a device at ${camera.ip ?? "?"} (${camera.id}) awaits approval: camgate cameras approve ${camera.id}, or ignore it`,
      );
    else if (issue?.kind === "mismatch")
      reasons.push(
        `camera ${camera.id} is held, not recorded: ${issue.detail}; if it is the same camera, camgate cameras approve ${camera.id}`,
      );
    else if (issue?.kind === "claimed")
      reasons.push(`camera ${camera.id}: ${issue.detail} (camgate cameras list)`);
  }
  const live = service.state !== "stopped";
  for (const camera of report.cameras.filter((c) => c.enabled && c.trust === "approved")) {
    if (!camera.online && live) reasons.push(`camera ${camera.id} is offline`);
    if (camera.refused !== null)
      reasons.push(
        `camera ${camera.id} is not recording: ${camera.refused}` +
          (camera.refusedVi ? ` / camera ${camera.id} không được ghi: ${camera.refusedVi}` : ""),
      );
    else if (camera.recording === false) reasons.push(`camera ${camera.id} is not recording`);
    else if (camera.recording === null && live && !camera.streamKnown)
      reasons.push(
        `camera ${camera.id} is not recording: no stream address, it was never interrogated with working credentials; camgate cameras credentials ${camera.id} -u USER --password-stdin`,
      );
    if (
      camera.eventsUnavailable !== null &&
      camera.eventsUnavailable !== "no-event-service" &&
      live
    )
      reasons.push(
        `camera ${camera.id}: its events (motion, tamper, intrusion...) cannot be received (${camera.eventsUnavailable}): camgate events list --camera ${camera.id}`,
      );
    if (camera.audit && camera.audit.blocking.length > 0)
      reasons.push(
        `camera ${camera.id} fails ${camera.audit.blocking.length} high or critical control(s) (${camera.audit.blocking.join(", ")}): camgate audit ${camera.id}`,
      );
    else if (
      camera.recording === true &&
      (camera.lastSegmentAgeSeconds === null || camera.lastSegmentAgeSeconds * 1000 > 3 * segmentMs)
    )
      reasons.push(`camera ${camera.id} has closed no segment lately`);
  }
  if (storage.quotaBytes !== null && storage.storedBytes > storage.quotaBytes)
    reasons.push("recordings are over their quota (only locked segments left to evict)");
  return reasons;
}
