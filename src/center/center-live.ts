import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ParsedMediaTopic } from "../protocol/index.js";

export interface LiveRecording {
  site: string;
  camera: string;
  session: string;
  file: string;
  bytes: number;
  messages: number;
  ended: boolean;
}

/**
 * Live views as the center receives them: each session's fragmented MP4 pieces appended, in
 * order, to `cameras/<id>/live/<session>.mp4`; the empty `final` message closes the session.
 */
export class CenterLive {
  readonly #sessions = new Map<string, LiveRecording>();

  constructor(private readonly siteDir: (siteId: string) => string) {}

  sessions(): LiveRecording[] {
    return [...this.#sessions.values()].map((session) => ({ ...session }));
  }

  async piece(
    topic: ParsedMediaTopic,
    properties: Record<string, string | string[]> | undefined,
    payload: Buffer,
  ): Promise<LiveRecording | undefined> {
    const session = properties?.["session"];
    if (typeof session !== "string" || !/^[0-9a-f]{16}$/.test(session)) return undefined;
    const dir = join(this.siteDir(topic.siteId), "cameras", topic.cameraId, "live");
    const file = join(dir, `${session}.mp4`);
    let recording = this.#sessions.get(file);
    if (!recording) {
      await mkdir(dir, { recursive: true });
      recording = {
        site: topic.siteId,
        camera: topic.cameraId,
        session,
        file,
        bytes: 0,
        messages: 0,
        ended: false,
      };
      this.#sessions.set(file, recording);
    }
    if (payload.length > 0) await appendFile(file, payload);
    recording.bytes += payload.length;
    recording.messages++;
    if (properties?.["final"] === "true") recording.ended = true;
    return recording;
  }
}
