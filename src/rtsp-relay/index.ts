export { basicAuthorization, DigestAnswerer, parseChallenges, pickDigest } from "./camera-auth.js";
export { RtspProtocolError, RtspRelayNotRunningError } from "./errors.js";
export { peerIsSameUser, procNetAddress, uidOfPeer } from "./peer-user.js";
export type { RefusalReason, RelayTarget } from "./relay-session.js";
export { type OpenOptions, RtspRelay, type RelayTicket, type RtspRelayDeps } from "./rtsp-relay.js";
export { RtspReader, serializeMessage } from "./rtsp-message.js";
export { type PayloadFormat, payloadFormats } from "./sdp.js";
export {
  BACKWARD_JUMP_MS,
  FORWARD_JUMP_MS,
  type StreamBreak,
  StreamGuard,
  type StreamGuardOptions,
} from "./stream-guard.js";
export { UrlMap } from "./url-map.js";
