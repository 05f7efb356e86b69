import { PAYLOAD_SCHEMAS, type TopicFamily } from "./topics.js";

/** Content type of every JSON message (status, health, events, inventory, audit, replies...). */
export const CONTENT_TYPE = "application/json";
/** Content type of a segment chunk: a slice of an MPEG-TS file. */
export const VIDEO_CONTENT_TYPE = "video/mp2t";
/** Content type of an event snapshot chunk: a slice of a JPEG. */
export const SNAPSHOT_CONTENT_TYPE = "image/jpeg";
/** Content type of a live-view message: fragmented MP4. */
export const LIVE_CONTENT_TYPE = "video/mp4";

/** A message's payload: its body, with the family's `schema` field first. */
export function encodePayload(family: TopicFamily, body: Record<string, unknown>): string {
  return JSON.stringify({ schema: PAYLOAD_SCHEMAS[family], ...body });
}
