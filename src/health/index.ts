export { HealthSampler, type SystemHealth } from "./health-sampler.js";
export {
  readRuntimeStatus,
  type RuntimeFigures,
  type RuntimeStatus,
  RuntimeStatusWriter,
  runtimeStatusPath,
  type ServiceState,
  statusLine,
} from "./runtime-status.js";
export { notifyEnvironment, SystemdNotifier, SystemdNotifyError } from "./systemd-notify.js";
export { type BoxStatus, type CameraStatus, gatherStatus } from "./box-status.js";
export { type SoftwareStatus, softwareStatus } from "./software.js";
