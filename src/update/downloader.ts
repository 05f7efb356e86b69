import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CONTENT_TYPE,
  parseUpdateChunkHeader,
  type ReleaseManifest,
  type SiteTopics,
} from "../protocol/index.js";
import type { InboundMessage, UplinkLink } from "../uplink/link.js";
import type { TokenBucket } from "../uplink/token-bucket.js";

/** Bytes asked for at once: a chunk and its properties fit the box's incoming packet limit. */
export const DOWNLOAD_CHUNK_BYTES = 16 * 1024;
/** Data is flushed to disk every this many bytes: what a power cut costs to fetch again. */
const SYNC_EVERY_BYTES = 256 * 1024;

export interface DownloadDeps {
  link: Pick<UplinkLink, "connected" | "publish" | "subscribe">;
  topics: SiteTopics;
  /** The upload cap's bucket: a download takes its bytes from it as video does. */
  bucket: TokenBucket | undefined;
  /** How long to wait for a chunk before asking again. */
  replyTimeoutMs: number;
}

/**
 * Fetches a release into `partFile` over the uplink, one range at a time, resuming from what the
 * file already holds (a restart, a kill -9 or a link drop costs at most the unsynced tail, and a
 * power cut's garbage is caught by the hash check afterwards). Each request waits for its bytes
 * in the bucket, so the download stays under `uplink.maxBitsPerSecond` with everything else.
 */
export async function downloadRelease(
  deps: DownloadDeps,
  manifest: ReleaseManifest,
  partFile: string,
  signal: AbortSignal,
  onProgress: (offset: number) => void = () => undefined,
): Promise<void> {
  await mkdir(dirname(partFile), { recursive: true });
  const file = await openPart(partFile);
  let waiter: ((message: InboundMessage) => void) | undefined;
  const unsubscribe = deps.link.subscribe(deps.topics.updateChunks(), (message) =>
    waiter?.(message),
  );
  try {
    let offset = (await file.stat()).size;
    if (offset > manifest.size) {
      await file.truncate(0);
      offset = 0;
    }
    let unsynced = 0;
    while (offset < manifest.size) {
      signal.throwIfAborted();
      const length = Math.min(DOWNLOAD_CHUNK_BYTES, manifest.size - offset);
      const chunk = await fetchRange(deps, manifest, offset, length, signal, (w) => (waiter = w));
      if (chunk === undefined) continue;
      await file.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
      unsynced += chunk.length;
      if (unsynced >= SYNC_EVERY_BYTES || offset === manifest.size) {
        await file.datasync();
        unsynced = 0;
      }
      onProgress(offset);
    }
  } finally {
    waiter = undefined;
    unsubscribe();
    await file.close();
  }
}

async function openPart(partFile: string): Promise<FileHandle> {
  try {
    return await open(partFile, "r+");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return open(partFile, "w+", 0o600);
  }
}

/** One range: undefined when it did not come (link down, no answer in time), to ask again. */
async function fetchRange(
  deps: DownloadDeps,
  manifest: ReleaseManifest,
  offset: number,
  length: number,
  signal: AbortSignal,
  setWaiter: (waiter: ((message: InboundMessage) => void) | undefined) => void,
): Promise<Buffer | undefined> {
  if (!deps.link.connected) {
    await sleep(250, undefined, { signal });
    return undefined;
  }
  await deps.bucket?.take(length, signal);
  const correlation = randomBytes(8);
  const arrived = new Promise<Buffer>((resolve) =>
    setWaiter((message) => {
      const header = parseUpdateChunkHeader(message.userProperties);
      if (
        header?.version === manifest.version &&
        header.sha256 === manifest.sha256 &&
        header.offset === offset &&
        message.payload.length === length
      )
        resolve(message.payload);
    }),
  );
  const request = {
    schema: "camgate.update-request/1",
    version: manifest.version,
    sha256: manifest.sha256,
    offset,
    length,
  };
  try {
    await deps.link.publish(
      deps.topics.updateRequest(),
      JSON.stringify(request),
      { qos: 1, contentType: CONTENT_TYPE, correlationData: correlation },
      signal,
    );
  } catch {
    signal.throwIfAborted();
    return undefined;
  }
  const timeout = new AbortController();
  const both = AbortSignal.any([signal, timeout.signal]);
  try {
    return await Promise.race([
      arrived,
      sleep(deps.replyTimeoutMs, undefined, { signal: both }).then(() => undefined),
    ]);
  } finally {
    timeout.abort();
    setWaiter(undefined);
  }
}
