export {
  type AlongsideWriter,
  type BoxEventKind,
  type CameraEventEntry,
  type CameraEventRecord,
  EventLog,
} from "./event-log.js";
export { EventHistory, type EventHistoryDeps, EVENTS_ALWAYS_KEPT } from "./event-history.js";
