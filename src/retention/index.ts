export { type LockRequest, LockRefusedError, lockRecordings } from "./locks.js";
export {
  bytesToFree,
  type DiskFigures,
  type DiskReader,
  lockCapBytes,
  type QuotaSettings,
  quotaBytes,
  readDisk,
} from "./quota.js";
export {
  RingBuffer,
  type RingBufferDeps,
  type RingBufferStatus,
  UNLINKS_IN_FLIGHT,
} from "./ring-buffer.js";
export {
  DEFAULT_EVENT_WINDOW,
  EventHolds,
  type EventHoldsDeps,
  type EventHoldsStatus,
  eventWindow,
} from "./event-holds.js";
