import type {
  AccessRecord,
  AuditReportRecord,
  CameraRecord,
  EventRecord,
  SegmentRecord,
} from "../store/index.js";

/** Bodies of the upstream messages, built from the box's records. */

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `ts` is when the body is built: at connect for `online` and for the last will (the box cannot
 * know when a connection will die; `lastWill` says the broker published it, and the center's
 * receive time is when the box went offline), at the stop for a clean `offline`.
 */
export function statusBody(input: {
  state: "online" | "offline";
  siteId: string;
  version: string;
  startedMs: number;
  lastWill?: boolean;
  /** The certificate this connection was made with (online only). */
  certificate?: { serialNumber: string; notAfter: string; fingerprintSha256: string };
}): Record<string, unknown> {
  return {
    state: input.state,
    siteId: input.siteId,
    version: input.version,
    startedAt: iso(input.startedMs),
    ts: new Date().toISOString(),
    ...(input.lastWill ? { lastWill: true } : {}),
    ...(input.certificate ? { certificate: input.certificate } : {}),
  };
}

/** `segmentIds`: for a camera's own event, the segments known to cover it when it is sent. */
export function eventBody(
  event: EventRecord,
  segmentIds?: readonly number[],
): Record<string, unknown> {
  return {
    id: event.id,
    ts: iso(event.tsMs),
    cameraId: event.cameraId,
    kind: event.kind,
    detail: event.detail,
    ...(segmentIds ? { segmentIds } : {}),
  };
}

/** The entry as hashed (`tsMs` included), with `ts` beside it for people. */
export function accessBody(entry: AccessRecord): Record<string, unknown> {
  return {
    seq: entry.seq,
    ts: iso(entry.tsMs),
    tsMs: entry.tsMs,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    purpose: entry.purpose,
    result: entry.result,
    detail: entry.detail,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

/** `eventIds`: the camera events that happened during the segment (see eventBody). */
export function segmentBody(
  segment: SegmentRecord,
  eventIds: readonly number[] = [],
): Record<string, unknown> {
  return {
    segmentId: segment.id,
    cameraId: segment.cameraId,
    start: iso(segment.startMs),
    end: iso(segment.endMs),
    startMs: segment.startMs,
    endMs: segment.endMs,
    bytes: segment.bytes,
    sha256: segment.sha256,
    media: {
      videoCodec: segment.videoCodec,
      width: segment.width,
      height: segment.height,
      audioCodec: segment.audioCodec,
    },
    ...(eventIds.length > 0 ? { eventIds } : {}),
  };
}

interface ProfileSummary {
  token: string;
  width: number | null;
  height: number | null;
}

function profileSummary(profile: unknown): ProfileSummary | undefined {
  if (typeof profile !== "object" || profile === null) return undefined;
  const { token, width, height } = profile as Record<string, unknown>;
  if (typeof token !== "string") return undefined;
  return {
    token,
    width: typeof width === "number" ? width : null,
    height: typeof height === "number" ? height : null,
  };
}

/** The inventory record; stream addresses stay on the box (the center asks for video by id). */
export function cameraInfoBody(camera: CameraRecord): Record<string, unknown> {
  return {
    cameraId: camera.id,
    urn: camera.urn,
    mac: camera.mac,
    ip: camera.ip,
    manufacturer: camera.manufacturer,
    model: camera.model,
    firmware: camera.firmware,
    serial: camera.serial,
    hardware: camera.hardware,
    name: camera.name,
    profiles: camera.profiles.flatMap((profile) => profileSummary(profile) ?? []),
    clockOffsetMs: camera.clockOffsetMs,
    enabled: camera.enabled,
    trust: camera.trust,
    identityIssue: camera.identityIssue && {
      kind: camera.identityIssue.kind,
      address: camera.identityIssue.address,
      detail: camera.identityIssue.detail,
      claimant: camera.identityIssue.claimant,
      since: iso(camera.identityIssue.sinceMs),
    },
    firstSeen: iso(camera.firstSeenMs),
    lastSeen: iso(camera.lastSeenMs),
  };
}

export type RecordingState = "starting" | "recording" | "retrying" | "stopped" | "off";

export function cameraStateBody(input: {
  cameraId: string;
  reachable: boolean;
  recording: RecordingState;
  lastError: string | null;
  tsMs: number;
}): Record<string, unknown> {
  return {
    cameraId: input.cameraId,
    ts: iso(input.tsMs),
    reachable: input.reachable,
    recording: input.recording,
    lastError: input.lastError,
  };
}

/**
 * The latest report as stored; its signature (RSA-PSS by the box key) travels inside it, with
 * the box certificate to check it against, so the message can be verified on its own.
 */
export function auditBody(
  record: AuditReportRecord,
  certificatePem: string | undefined,
): Record<string, unknown> {
  return {
    ...(certificatePem ? { signerCertificate: certificatePem } : {}),
    cameraId: record.cameraId,
    reportId: record.id,
    baseline: record.baseline,
    startedAt: iso(record.startedMs),
    finishedAt: iso(record.finishedMs),
    summary: record.summary,
    signed: record.signature !== null,
    report: record.report,
  };
}
