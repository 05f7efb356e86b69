export { takeSnapshot, type Snapshot, type SnapshotDeps } from "./camera-snapshot.js";
export { CameraSnapshotError } from "./errors.js";
export { frameArgs, grabFrame, isJpeg } from "./stream-frame.js";
