import { execFile } from "node:child_process";
import { mkdir, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentEvents } from "../agent-events.js";
import type { VaultHandle } from "../discovery/credentials.js";
import { fetchSnapshot } from "../discovery/snapshot.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { CameraRecord, Store } from "../store/index.js";
import { CAMERA_EVENT_KINDS } from "./normalise.js";

/** The largest picture sent for an event; a camera's bigger one is refused unread. */
export const MAX_SNAPSHOT_BYTES = 512 * 1024;
/** One picture per camera per this long at most: a flapping detector is not a slideshow. */
const MIN_GAP_MS = 10_000;
/** Pictures waiting for the uplink at most; the oldest go first when there are more. */
export const MAX_SPOOLED = 200;
const CALL_TIMEOUT_MS = 5_000;

export interface EventSnapshotsDeps {
  store: Pick<Store, "repos">;
  vault: VaultHandle;
  bus: EventBus<AgentEvents>;
  /** Where pictures wait for the uplink (SnapshotForwarder sends and deletes them). */
  spoolDir: string;
  /** The ffmpeg to cut a frame from the current segment with, looked for when needed. */
  ffmpeg: () => Promise<string>;
  logger: Logger;
  now?: () => number;
}

/** A spooled picture's name: event id, time, camera (hex: any camera id is a safe name). */
export function spoolName(eventId: number, tsMs: number, cameraId: string): string {
  return `${eventId}-${tsMs}-${Buffer.from(cameraId).toString("hex")}.jpg`;
}

export function parseSpoolName(
  name: string,
): { eventId: number; tsMs: number; cameraId: string } | undefined {
  const match = /^([1-9]\d{0,15})-(\d{1,16})-((?:[0-9a-f]{2}){1,128})\.jpg$/.exec(name);
  if (!match) return undefined;
  return {
    eventId: Number(match[1]),
    tsMs: Number(match[2]),
    cameraId: Buffer.from(match[3] ?? "", "hex").toString(),
  };
}

/** The snapshot address of the profile with the most pixels, as discovery stored it. */
function snapshotUriOf(camera: CameraRecord): string | undefined {
  let best: { uri: string; pixels: number } | undefined;
  for (const profile of camera.profiles as Record<string, unknown>[]) {
    const uri = profile["snapshotUri"];
    if (typeof uri !== "string") continue;
    const pixels = Number(profile["width"] ?? 0) * Number(profile["height"] ?? 0);
    if (!best || pixels > best.pixels) best = { uri, pixels };
  }
  return best?.uri;
}

/** ffmpeg arguments: one JPEG of the last seconds of a segment file (no shell, no camera data). */
export function segmentFrameArgs(path: string, fromEnd: boolean): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    ...(fromEnd ? ["-sseof", "-2"] : []),
    "-i",
    path,
    "-map",
    "0:v:0",
    "-an",
    "-frames:v",
    "1",
    "-c:v",
    "mjpeg",
    "-q:v",
    "5",
    "-f",
    "image2pipe",
    "pipe:1",
  ];
}

/**
 * With `events.snapshot`, a picture for each camera event that starts or happens (not for its
 * end): the camera's snapshot URI (Digest only, size-capped, approved cameras only), else a frame
 * of the segment being recorded. Pictures go to a spool the uplink drains; at most one per camera
 * in flight and per ten seconds.
 */
export class EventSnapshots implements Component {
  readonly name = "event-snapshots";
  readonly #busy = new Set<string>();
  readonly #lastMs = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: EventSnapshotsDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await mkdir(this.deps.spoolDir, { recursive: true, mode: 0o700 });
    this.#unsubscribe = this.deps.bus.on("boxEvent", ({ id, tsMs, cameraId, kind, detail }) => {
      if (cameraId === null || !CAMERA_EVENT_KINDS.includes(kind)) return;
      if (detail["phase"] === "end") return;
      const now = (this.deps.now ?? Date.now)();
      if (this.#busy.has(cameraId) || now - (this.#lastMs.get(cameraId) ?? -Infinity) < MIN_GAP_MS)
        return;
      this.#busy.add(cameraId);
      this.#lastMs.set(cameraId, now);
      const work = this.#take(id, tsMs, cameraId).finally(() => {
        this.#busy.delete(cameraId);
        this.#pending.delete(work);
      });
      this.#pending.add(work);
    });
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.all([...this.#pending]);
  }

  async #take(eventId: number, tsMs: number, cameraId: string): Promise<void> {
    const { logger, spoolDir } = this.deps;
    try {
      const jpeg = await this.#picture(cameraId);
      if (!jpeg) return;
      const name = spoolName(eventId, tsMs, cameraId);
      await writeFile(join(spoolDir, `.${name}.tmp`), jpeg, { mode: 0o600 });
      await rename(join(spoolDir, `.${name}.tmp`), join(spoolDir, name));
      this.deps.bus.emit("snapshotSpooled", { cameraId, eventId });
      await this.#trim();
    } catch (error) {
      logger.warn({ err: error, cameraId, eventId }, "no snapshot for the camera event");
    }
  }

  /** The camera's own picture, else a frame of what is being recorded; undefined: neither. */
  async #picture(cameraId: string): Promise<Buffer | undefined> {
    const camera = this.deps.store.repos.cameras.get(cameraId);
    // Only a camera a technician approved, still the one pinned, is sent its credentials.
    if (!camera || camera.trust !== "approved" || camera.identityIssue?.kind === "mismatch")
      return undefined;
    const uri = snapshotUriOf(camera);
    if (uri) {
      try {
        return await fetchSnapshot(uri, {
          credentials: this.deps.vault.vault.forCamera(camera),
          timeoutMs: CALL_TIMEOUT_MS,
          maxBytes: MAX_SNAPSHOT_BYTES,
          tlsFingerprint: camera.pin?.tlsFingerprint ?? null,
        });
      } catch (error) {
        this.deps.logger.debug({ err: error, cameraId }, "snapshot URI failed; trying the segment");
      }
    }
    return this.#segmentFrame(cameraId);
  }

  async #segmentFrame(cameraId: string): Promise<Buffer | undefined> {
    const now = (this.deps.now ?? Date.now)();
    const segment = this.deps.store.repos.segments
      .overlapping(cameraId, now - 120_000, now + 1)
      .sort((a, b) => b.startMs - a.startMs)[0];
    if (!segment) return undefined;
    const ffmpeg = await this.deps.ffmpeg();
    for (const fromEnd of [true, false]) {
      const jpeg = await new Promise<Buffer | undefined>((resolve) => {
        execFile(
          ffmpeg,
          segmentFrameArgs(segment.path, fromEnd),
          { encoding: "buffer", maxBuffer: MAX_SNAPSHOT_BYTES, timeout: 15_000 },
          (error, stdout) => resolve(error || stdout.length < 4 ? undefined : stdout),
        );
      });
      if (jpeg && jpeg[0] === 0xff && jpeg[1] === 0xd8) return jpeg;
    }
    return undefined;
  }

  /** Keeps the spool within MAX_SPOOLED pictures, dropping the oldest events'. */
  async #trim(): Promise<void> {
    const names = (await readdir(this.deps.spoolDir)).filter((name) => parseSpoolName(name));
    if (names.length <= MAX_SPOOLED) return;
    const oldest = names
      .sort((a, b) => (parseSpoolName(a)?.eventId ?? 0) - (parseSpoolName(b)?.eventId ?? 0))
      .slice(0, names.length - MAX_SPOOLED);
    for (const name of oldest) await unlink(join(this.deps.spoolDir, name)).catch(() => undefined);
    this.deps.logger.warn({ dropped: oldest.length }, "event snapshots dropped: the spool is full");
  }
}
