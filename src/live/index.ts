export { type LiveSessionInfo, type LiveSource, LiveStreams } from "./live-streams.js";
