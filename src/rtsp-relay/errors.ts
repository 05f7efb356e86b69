import { CamgateError } from "../errors.js";

/** Bytes on an RTSP connection that are not RTSP, or that exceed the relay's bounds. */
export class RtspProtocolError extends CamgateError {}

/** The relay was asked for a URL while it was not listening. */
export class RtspRelayNotRunningError extends CamgateError {}
