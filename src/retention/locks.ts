import type { QuotaSettings } from "./quota.js";
import { type DiskReader, lockCapBytes, readDisk } from "./quota.js";
import type { SegmentRepository } from "../store/index.js";
import { CamgateError } from "../errors.js";

export class LockRefusedError extends CamgateError {}

export interface LockRequest {
  cameraId: string;
  fromMs: number;
  toMs: number;
  untilMs: number;
}

/**
 * Holds a camera's segments in a range against eviction until `untilMs`, unless the hold would
 * take locked video over `storage.maxLockedPercent` of the quota.
 */
export function lockRecordings(
  segments: SegmentRepository,
  settings: QuotaSettings & { dir: string },
  request: LockRequest,
  options: { now: number; disk?: DiskReader },
): { segments: number; newlyHeldBytes: number } {
  if (!(request.toMs > request.fromMs))
    throw new LockRefusedError("the range to lock ends before it starts");
  if (!(request.untilMs > options.now)) throw new LockRefusedError("--until is not in the future");
  const cap = lockCapBytes(settings, (options.disk ?? readDisk)(settings.dir));
  const held = segments.lockedBytes(options.now);
  const adding = segments.unlockedBytesIn(
    request.cameraId,
    request.fromMs,
    request.toMs,
    options.now,
  );
  if (held + adding > cap) {
    throw new LockRefusedError(
      `locking would hold ${held + adding} bytes, more than storage.maxLockedPercent allows ` +
        `(${cap} bytes); release other locks or lock a shorter range`,
    );
  }
  const count = segments.lock(request.cameraId, request.fromMs, request.toMs, request.untilMs);
  return { segments: count, newlyHeldBytes: adding };
}
