export const TOPIC_PREFIX = "camgate/v1";

/** Every topic family the box publishes (DESIGN.md section 7), by the payload schema it carries. */
export const PAYLOAD_SCHEMAS = {
  status: "camgate.status/1",
  health: "camgate.health/1",
  events: "camgate.event/1",
  info: "camgate.camera-info/1",
  state: "camgate.camera-state/1",
  audit: "camgate.audit/1",
  segments: "camgate.segment/1",
  access: "camgate.access/1",
  reply: "camgate.reply/1",
  certRequest: "camgate.cert-request/1",
} as const;

/** What the center publishes to a box other than commands: the answer to a certificate request. */
export const CENTER_PAYLOAD_SCHEMAS = {
  certIssued: "camgate.cert-issued/1",
} as const;

export type TopicFamily = keyof typeof PAYLOAD_SCHEMAS;

/** A topic level may not hold MQTT wildcards or separators; ids are checked where they enter. */
const LEVEL = /^[A-Za-z0-9._-]{1,128}$/;

/** The reply level reserved for refusals of commands with a response topic the box cannot use. */
export const INVALID_REPLY_LEVEL = "_invalid";

export class TopicError extends Error {}

function level(value: string): string {
  if (!LEVEL.test(value)) throw new TopicError(`${JSON.stringify(value)} cannot be a topic level`);
  return value;
}

/** The topics of one site: `camgate/v1/<siteId>/...`. */
export class SiteTopics {
  readonly root: string;

  constructor(readonly siteId: string) {
    this.root = `${TOPIC_PREFIX}/${level(siteId)}`;
  }

  box(family: "status" | "health" | "events" | "access"): string {
    return `${this.root}/${family}`;
  }

  video(cameraId: string, segmentId: number): string {
    return `${this.root}/cameras/${level(cameraId)}/video/${segmentId}`;
  }

  /** A camera event's picture, as chunks like video: `cameras/<id>/snapshots/<eventId>`. */
  snapshot(cameraId: string, eventId: number): string {
    return `${this.root}/cameras/${level(cameraId)}/snapshots/${eventId}`;
  }

  live(cameraId: string): string {
    return `${this.root}/cameras/${level(cameraId)}/live`;
  }

  /** Where the box sends the CSR of its next certificate (certificate renewal). */
  certificateRequest(): string {
    return `${this.root}/cert/request`;
  }

  /** Where the center's issuer answers a certificate request (the box subscribes). */
  certificateIssued(): string {
    return `${this.root}/cert/issued`;
  }

  /** What the box subscribes to: every command for this site. */
  commands(): string {
    return `${this.root}/cmd/+`;
  }

  /** Where the box asks for a range of a release it was offered (update.offer). */
  updateRequest(): string {
    return `${this.root}/update/request`;
  }

  /** Where the center answers with the bytes: under `cmd/`, the only branch a box may read. */
  updateChunks(): string {
    return `${this.root}/cmd/update/chunk`;
  }

  /** A reply may only go to a topic of this site's own `reply/` branch (the broker's ACL agrees). */
  isReplyTopic(topic: string): boolean {
    const prefix = `${this.root}/reply/`;
    return topic.startsWith(prefix) && LEVEL.test(topic.slice(prefix.length));
  }

  /** Where the refusal of a command whose response topic breaks the rule above goes. */
  invalidReplyTopic(): string {
    return `${this.root}/reply/${INVALID_REPLY_LEVEL}`;
  }

  camera(cameraId: string, family: "info" | "state" | "audit" | "segments" | "events"): string {
    return `${this.root}/cameras/${level(cameraId)}/${family}`;
  }

  /** Events about the box itself go to `events`, those about a camera to the camera's. */
  events(cameraId: string | null): string {
    return cameraId === null ? this.box("events") : this.camera(cameraId, "events");
  }
}

export interface ParsedTopic {
  siteId: string;
  cameraId: string | null;
  family: TopicFamily;
}

/** A topic that carries bytes rather than JSON: segment chunks and live fragments. */
export interface ParsedMediaTopic {
  siteId: string;
  cameraId: string;
  kind: "video" | "live";
  segmentId: number | null;
}

const BOX_FAMILIES = new Set<string>(["status", "health", "events", "access"]);
const CAMERA_FAMILIES = new Set<string>(["info", "state", "audit", "segments", "events"]);

function siteParts(topic: string): string[] | undefined {
  const parts = topic.split("/");
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return undefined;
  return LEVEL.test(parts[2] ?? "") ? parts : undefined;
}

/** The center's reading of a topic; undefined for anything outside the v1 JSON tree it knows. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = siteParts(topic);
  if (!parts) return undefined;
  const siteId = parts[2] ?? "";
  const family = parts.length === 4 ? parts[3] : parts[5];
  if (parts.length === 4 && BOX_FAMILIES.has(family ?? "")) {
    return { siteId, cameraId: null, family: family as TopicFamily };
  }
  if (parts.length === 5 && parts[3] === "reply" && LEVEL.test(parts[4] ?? "")) {
    return { siteId, cameraId: null, family: "reply" };
  }
  if (
    parts.length === 6 &&
    parts[3] === "cameras" &&
    LEVEL.test(parts[4] ?? "") &&
    CAMERA_FAMILIES.has(family ?? "")
  ) {
    return { siteId, cameraId: parts[4] ?? null, family: family as TopicFamily };
  }
  return undefined;
}

/** `cameras/<id>/video/<segmentId>` and `cameras/<id>/live`; undefined for anything else. */
export function parseMediaTopic(topic: string): ParsedMediaTopic | undefined {
  const parts = siteParts(topic);
  if (!parts || parts[3] !== "cameras" || !LEVEL.test(parts[4] ?? "")) return undefined;
  const siteId = parts[2] ?? "";
  const cameraId = parts[4] ?? "";
  if (parts.length === 6 && parts[5] === "live")
    return { siteId, cameraId, kind: "live", segmentId: null };
  if (parts.length === 7 && parts[5] === "video" && /^[1-9]\d{0,15}$/.test(parts[6] ?? "")) {
    return { siteId, cameraId, kind: "video", segmentId: Number(parts[6]) };
  }
  return undefined;
}
