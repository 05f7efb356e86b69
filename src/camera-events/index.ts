export { CameraEventService, type CameraEventServiceDeps } from "./camera-event-service.js";
export {
  CAMERA_EVENT_KINDS,
  type CameraEventKind,
  classify,
  EventNormaliser,
} from "./normalise.js";
export { DEFAULT_EVENT_TIMING, type EventTiming } from "./subscription.js";
