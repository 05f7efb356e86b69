import { OutboxPriority } from "../store/index.js";

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
} as const;

export type TopicFamily = keyof typeof PAYLOAD_SCHEMAS;

const PRIORITY: Record<TopicFamily, number> = {
  status: OutboxPriority.status,
  events: OutboxPriority.event,
  info: OutboxPriority.inventory,
  state: OutboxPriority.inventory,
  audit: OutboxPriority.audit,
  health: OutboxPriority.health,
  segments: OutboxPriority.segmentIndex,
};

export function priorityOf(family: TopicFamily): number {
  return PRIORITY[family];
}

/** A topic level may not hold MQTT wildcards or separators; ids are checked where they enter. */
const LEVEL = /^[A-Za-z0-9._-]{1,128}$/;

export class TopicError extends Error {}

function level(value: string): string {
  if (!LEVEL.test(value)) throw new TopicError(`${JSON.stringify(value)} cannot be a topic level`);
  return value;
}

/** The topics of one site: `camgate/v1/<siteId>/...`. */
export class SiteTopics {
  readonly root: string;

  constructor(siteId: string) {
    this.root = `${TOPIC_PREFIX}/${level(siteId)}`;
  }

  box(family: "status" | "health" | "events"): string {
    return `${this.root}/${family}`;
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

/** The center's reading of a topic; undefined for anything outside the v1 tree it knows. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split("/");
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return undefined;
  const siteId = parts[2] ?? "";
  if (!LEVEL.test(siteId)) return undefined;
  if (parts.length === 4) {
    const family = parts[3];
    if (family === "status" || family === "health" || family === "events") {
      return { siteId, cameraId: null, family };
    }
    return undefined;
  }
  if (parts.length === 6 && parts[3] === "cameras" && LEVEL.test(parts[4] ?? "")) {
    const family = parts[5];
    if (
      family === "info" ||
      family === "state" ||
      family === "audit" ||
      family === "segments" ||
      family === "events"
    ) {
      return { siteId, cameraId: parts[4] ?? null, family };
    }
  }
  return undefined;
}
