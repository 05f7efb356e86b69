import { statfsSync } from "node:fs";
import type { StorageConfig } from "../config/index.js";

export interface DiskFigures {
  totalBytes: number;
  /** Free to an unprivileged writer (statfs bavail). */
  freeBytes: number;
}

export type DiskReader = (dir: string) => DiskFigures;

export const readDisk: DiskReader = (dir) => {
  const stats = statfsSync(dir);
  return { totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
};

export type QuotaSettings = Pick<
  StorageConfig,
  "maxBytes" | "maxPercent" | "minFreeBytes" | "maxLockedPercent"
>;

/** The ring buffer's size: the smaller of `maxBytes` and `maxPercent` of the filesystem. */
export function quotaBytes(settings: QuotaSettings, disk: DiskFigures): number {
  const share = Math.floor((disk.totalBytes * settings.maxPercent) / 100);
  return Math.min(settings.maxBytes ?? Number.POSITIVE_INFINITY, share);
}

/** Most bytes evidence locks may hold. */
export function lockCapBytes(settings: QuotaSettings, disk: DiskFigures): number {
  return Math.floor((quotaBytes(settings, disk) * settings.maxLockedPercent) / 100);
}

/**
 * How much video must go so that the index fits the quota and the filesystem keeps its
 * reserve free, plus `headroomBytes` when the disk filled up regardless.
 */
export function bytesToFree(input: {
  storedBytes: number;
  quotaBytes: number;
  freeBytes: number;
  minFreeBytes: number;
  headroomBytes?: number;
}): number {
  const overQuota = input.storedBytes - input.quotaBytes;
  const underReserve = input.minFreeBytes + (input.headroomBytes ?? 0) - input.freeBytes;
  return Math.max(0, overQuota, underReserve);
}
