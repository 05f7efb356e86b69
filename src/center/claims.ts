import { createHash } from "node:crypto";
import { readFile, readlink, rm, symlink } from "node:fs/promises";
import type { Scratch } from "./scratch.js";
import type { SharedLogs } from "./shared-log.js";

/**
 * Who does a piece of work that several center workers may be handed at once (a message the box
 * sent twice, a segment whose chunks went to two workers): a claim, a symbolic link whose target
 * is the worker's id, made atomically (symlink(2) fails when it exists). The target is part of
 * the link itself, so a claim a power cut left behind still names its holder, with no file data
 * to sync first (one call, where a file written, synced and linked took six). "ours" also when
 * the claim is our own, left by a run of ours that was killed: the broker hands that run's
 * unacknowledged message back to us alone (a worker's id is its broker session), so only we can
 * be the one to finish it. "theirs": another worker holds it, and does not acknowledge its own
 * message before the work is done, so the work is done, or will be when that worker comes back.
 */
export async function claim(path: string, worker: string): Promise<"ours" | "theirs"> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await symlink(worker, path);
      return "ours";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await claimHolder(path);
    if (holder !== undefined) return holder === worker ? "ours" : "theirs";
    // Released between our try and our look: try again.
  }
  return "theirs";
}

/** The worker holding the claim at `path`, if any. */
export async function claimHolder(path: string): Promise<string | undefined> {
  const missing = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  };
  try {
    return await readlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EINVAL") return missing(error);
  }
  // A file, not a link: a claim made by an earlier version, which held the id as its content.
  return readFile(path, "utf8").catch(missing);
}

/** What a worker writes with: its id, its scratch folder, the logs it reads. */
export interface WorkerDisk {
  worker: string;
  scratch: Scratch;
  logs: SharedLogs;
}

export async function release(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** A file name for a claim on an arbitrary key (a box's msg-id is not ours to trust). */
export function claimName(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}
