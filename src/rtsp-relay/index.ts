export { basicAuthorization, DigestAnswerer, parseChallenges, pickDigest } from "./camera-auth.js";
export { RtspProtocolError, RtspRelayNotRunningError } from "./errors.js";
export { peerIsSameUser, procNetAddress, uidOfPeer } from "./peer-user.js";
export type { RefusalReason, RelayTarget } from "./relay-session.js";
export { RtspRelay, type RelayTicket, type RtspRelayDeps } from "./rtsp-relay.js";
export { RtspReader, serializeMessage } from "./rtsp-message.js";
export { UrlMap } from "./url-map.js";
