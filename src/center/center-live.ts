import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ParsedMediaTopic } from "../protocol/index.js";
import { claim, type WorkerDisk } from "./claims.js";

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
 * Pieces must be appended by one worker in the box's order, so every worker subscribes to live
 * views without sharing, and the first to claim a session (`<session>.mp4.owner`) keeps it; the
 * others let its pieces go. A piece whose `seq` is not above the last one kept is a resend.
 */
export class CenterLive {
  readonly #sessions = new Map<string, LiveRecording & { seq: number }>();
  /** Sessions another worker keeps. */
  readonly #theirs = new Set<string>();

  constructor(
    private readonly siteDir: (siteId: string) => string,
    private readonly disk: WorkerDisk,
  ) {}

  sessions(): LiveRecording[] {
    return [...this.#sessions.values()].map(({ seq: _seq, ...session }) => ({ ...session }));
  }

  /** Keeps one piece; "theirs" when another worker keeps the session, undefined if not valid. */
  async piece(
    topic: ParsedMediaTopic,
    properties: Record<string, string | string[]> | undefined,
    payload: Buffer,
  ): Promise<LiveRecording | "theirs" | undefined> {
    const session = properties?.["session"];
    if (typeof session !== "string" || !/^[0-9a-f]{16}$/.test(session)) return undefined;
    const rawSeq = properties?.["seq"];
    const seq = typeof rawSeq === "string" && /^\d{1,12}$/.test(rawSeq) ? Number(rawSeq) : null;
    const dir = join(this.siteDir(topic.siteId), "cameras", topic.cameraId, "live");
    const file = join(dir, `${session}.mp4`);
    if (this.#theirs.has(file)) return "theirs";
    let recording = this.#sessions.get(file);
    if (!recording) {
      await mkdir(dir, { recursive: true });
      if ((await claim(`${file}.owner`, this.disk.worker)) === "theirs") {
        this.#theirs.add(file);
        return "theirs";
      }
      recording = {
        site: topic.siteId,
        camera: topic.cameraId,
        session,
        file,
        bytes: 0,
        messages: 0,
        ended: false,
        seq: -1,
      };
      this.#sessions.set(file, recording);
    }
    if (seq !== null && seq <= recording.seq) return recording;
    if (payload.length > 0) await appendFile(file, payload);
    if (seq !== null) recording.seq = seq;
    recording.bytes += payload.length;
    recording.messages++;
    if (properties?.["final"] === "true") recording.ended = true;
    return recording;
  }
}
