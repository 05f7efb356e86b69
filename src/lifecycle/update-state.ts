/**
 * The update state file: the update being tried (if any) and the last update's result, for
 * `status`, health and the start guard. This module imports nothing but node: modules: it is
 * copied out of the running release with src/update/start-guard.ts, which systemd runs before
 * every start (ExecStartPre) from outside any release, so that a new release that cannot start
 * at all is still rolled back.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, open, readFile, readlink, rename, symlink, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

export const UPDATE_STATE_SCHEMA = "camgate.update-state/1";

/** A switch to another release, from the moment the link is about to change until it is kept. */
export interface PendingUpdate {
  /** `switching`: the link is about to point, or points, at `to`; `trial`: `to` has started. */
  phase: "switching" | "trial";
  from: string;
  to: string;
  releasesDir: string;
  currentLink: string;
  /** Starts of `to` so far; past `maxStarts` the guard switches back. */
  starts: number;
  maxStarts: number;
  /** How long `to` has, from its first start, to report healthy. */
  healthTimeoutMs: number;
  /** Set at the first start of `to`. */
  deadlineMs: number | null;
  source: "uplink" | "file";
  /** A new config file on trial (config.apply): `to` is `from`, `previous` is restored on rollback. */
  config?: { file: string; previous: string };
}

export type UpdateOutcome = "installed" | "rolled_back" | "refused" | "failed";

export interface UpdateResult {
  outcome: UpdateOutcome;
  version: string;
  from: string | null;
  reason: string | null;
  atMs: number;
  /** What changed: a release, or the config file (config.apply). */
  what?: "release" | "config";
  /** uplink: an update.offer or config.apply from the center; file: camgate update apply. */
  source: "uplink" | "file";
  /** Told upstream (an event) already. */
  reported: boolean;
}

export interface UpdateState {
  schema: typeof UPDATE_STATE_SCHEMA;
  pending: PendingUpdate | null;
  last: UpdateResult | null;
}

export const emptyUpdateState = (): UpdateState => ({
  schema: UPDATE_STATE_SCHEMA,
  pending: null,
  last: null,
});

function parseUpdateState(text: string, file: string): UpdateState {
  let parsed: Partial<UpdateState>;
  try {
    parsed = JSON.parse(text) as Partial<UpdateState>;
  } catch (error) {
    throw new Error(`${file} is not JSON`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || parsed.schema !== UPDATE_STATE_SCHEMA)
    throw new Error(`${file} is not an update state (${String(parsed?.schema)})`);
  return {
    schema: UPDATE_STATE_SCHEMA,
    pending: parsed.pending ?? null,
    last: parsed.last ?? null,
  };
}

/** The state in `file`; an absent file is the empty state. */
export async function readUpdateState(file: string): Promise<UpdateState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyUpdateState();
    throw error;
  }
  return parseUpdateState(text, file);
}

/**
 * For status and health, which gather their figures synchronously (the file is tiny): the last
 * update's result, null when there was none, or why the file cannot be read.
 */
export function lastUpdateOrError(file: string): UpdateResult | { error: string } | null {
  try {
    return parseUpdateState(readFileSync(file, "utf8"), file).last;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    return { error: (error as Error).message };
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const tempName = (path: string) =>
  join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);

/** Replaces the state file atomically and durably (a power cut leaves the old or the new). */
export async function writeUpdateState(file: string, state: UpdateState): Promise<void> {
  const temp = tempName(file);
  const handle = await open(temp, "wx", 0o640);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(file));
}

export function releaseDir(releasesDir: string, version: string): string {
  return join(releasesDir, version);
}

/** Points the symbolic link `link` at `target` atomically: a new link renamed over the old. */
export async function pointLink(link: string, target: string): Promise<void> {
  const temp = tempName(link);
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(link));
}

/** Where `link` points, resolved; undefined when it is not a link. */
export async function linkTarget(link: string): Promise<string | undefined> {
  try {
    return resolve(dirname(link), await readlink(link));
  } catch {
    return undefined;
  }
}

/** Puts `from` in place of `to` atomically (a copy renamed over it), keeping `from`. */
export async function restoreFile(from: string, to: string): Promise<void> {
  const temp = tempName(to);
  await copyFile(from, temp);
  try {
    await rename(temp, to);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(to));
}
