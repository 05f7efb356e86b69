export { type BoxEventKind, EventLog } from "./event-log.js";
