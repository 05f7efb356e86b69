export {
  LIVE_CONTENT_TYPE,
  type LiveSessionInfo,
  type LiveSource,
  LiveStreams,
} from "./live-streams.js";
