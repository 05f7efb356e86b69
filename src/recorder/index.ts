export {
  CameraRecorder,
  type CameraRecorderDeps,
  REFUSED_RETRY_MS,
  type SpaceKeeper,
} from "./camera-recorder.js";
export { liveArgs, probeArgs, recordArgs } from "./ffmpeg-args.js";
export {
  type FfmpegLocation,
  FfmpegNotFoundError,
  type FfmpegSource,
  locateFfmpeg,
} from "./ffmpeg-binary.js";
export { FfmpegProcess, LineRing } from "./ffmpeg-process.js";
export {
  decodeMedia,
  type DecodeFacts,
  locateFfprobe,
  type MediaFacts,
  MediaProbeError,
  NOT_MEDIA,
  probeMedia,
  segmentMedia,
  type VideoFacts,
} from "./media-probe.js";
export { orderProfiles, type RankedProfile } from "./profile-order.js";
export { reconcileStorage, type ReconcileReport } from "./reconcile.js";
export { RecorderService, type RecorderServiceDeps } from "./recorder-service.js";
export {
  recordingTarget,
  redactForTarget,
  type RecordingTarget,
  sameTarget,
} from "./recording-target.js";
export {
  cameraDir,
  fileSegment,
  hashFile,
  hashScratch,
  incomingDir,
  segmentPath,
} from "./segment-files.js";
export { parseSegmentListLine, SegmentListError } from "./segment-list.js";
export { cutAtTimestampJump, SegmentRepairError } from "./segment-repair.js";
export { MAX_CLOCK_DRIFT_MS, type Placement, RunTimeline } from "./segment-timing.js";
export { type ExportRequest, type ExportResult, ExportError, exportRange } from "./export.js";
export { findGaps, type Gap, GAP_TOLERANCE_MS } from "./gaps.js";
