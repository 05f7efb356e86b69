export { SimCamera } from "./camera.js";
export type { SimCameraState, SimPorts } from "./camera-state.js";
export { SimBindError } from "./errors.js";
export type { SimProtocol, SimRequest } from "./journal.js";
export { D724_LOCKOUT, type LockoutPolicy, LoginLockout } from "./lockout.js";
export {
  type CameraMedia,
  DEFAULT_CREDENTIALS,
  MEDIA_NAMES,
  type MediaName,
  PROFILE_NAMES,
  type ProfileName,
  WEAKNESS_NAMES,
  type WeaknessName,
  type Weaknesses,
} from "./profiles.js";
export {
  type CameraOverride,
  loopbackAddress,
  MAX_SIMULATED_CAMERAS,
  type SimCameraInfo,
  Simulator,
  type SimulatorOptions,
  simulatedAdministrator,
  simulatedProfile,
  UNPRIVILEGED_PORTS,
} from "./simulator.js";
export {
  type EventFlavour,
  type EventMisbehaviour,
  type SimEventKind,
  type SimEventOptions,
  type SimObjectClass,
  SimEventService,
} from "./event-service.js";
