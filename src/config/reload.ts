import type { Config } from "./schema.js";

/**
 * What a running agent takes from a new config file on SIGHUP: the recording quotas, the
 * cameras' recorder overrides and forwarding modes. Everything else (site, store, storage
 * directory, uplink identity and brokers, ...) is wired into components at start and needs a
 * restart.
 */
export const RELOADABLE_PATHS = [
  "storage.maxBytes",
  "storage.maxPercent",
  "storage.minFreeBytes",
  "storage.maxLockedPercent",
  "recorder.forward",
  "recorder.cameras",
] as const;

export interface ReloadPlan {
  /** Changed keys the running agent takes. */
  apply: string[];
  /** Changed keys that take effect only after a restart. */
  restart: string[];
}

/** Dotted paths of the leaves that differ between two parsed configs. */
function changedPaths(before: unknown, after: unknown, path = ""): string[] {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) =>
      changedPaths(before[key], after[key], path ? `${path}.${key}` : key),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}

const reloadable = (path: string) =>
  RELOADABLE_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));

export function planReload(current: Config, next: Config): ReloadPlan {
  const changed = changedPaths(current, next);
  return { apply: changed.filter(reloadable), restart: changed.filter((p) => !reloadable(p)) };
}

/**
 * Copies the reloadable values of `next` into `current`, in place: the components were handed
 * slices of `current` and read them at each decision, so they see the new values.
 */
export function applyReload(current: Config, next: Config): void {
  const { storage, recorder } = next;
  current.storage.maxBytes = storage.maxBytes;
  current.storage.maxPercent = storage.maxPercent;
  current.storage.minFreeBytes = storage.minFreeBytes;
  current.storage.maxLockedPercent = storage.maxLockedPercent;
  current.recorder.forward = recorder.forward;
  current.recorder.cameras = recorder.cameras;
}
