import type { SegmentRecord } from "./store/index.js";

/**
 * Everything that crosses the agent's event bus, by name. Each capability adds the events it
 * emits here, so a listener's payload type is checked against the emitter's.
 */
export interface AgentEvents {
  componentStarted: { name: string };
  componentStopped: { name: string };
  /** A camera entered the inventory. */
  cameraDiscovered: { cameraId: string; address: string };
  /** A known camera answered with something different (address, firmware, profiles...). */
  cameraChanged: { cameraId: string; address: string };
  /** A camera that was reachable did not answer a discovery round. */
  cameraOffline: { cameraId: string };
  /** A camera's baseline audit finished and its report is stored. */
  auditCompleted: { cameraId: string; summary: Record<string, number>; signed: boolean };
  /** A segment was closed, hashed and indexed; the ring buffer and the uplink act on it. */
  segmentClosed: { segment: SegmentRecord };
  /** A camera's recorder changed state. */
  recorderState: { cameraId: string; state: "starting" | "recording" | "retrying" | "stopped" };
  /** The MQTT session upstream came up or went down. */
  uplinkState: {
    connected: boolean;
    broker: string;
    error?: string | null;
    /** The agent is stopping: a planned disconnect, not a link failure. */
    stopping?: boolean;
    /** On connect: the broker still held our session (subscriptions, queued commands). */
    sessionPresent?: boolean;
  };
  /** A segment's last chunk was acknowledged by the broker: it is at the center. */
  segmentForwarded: { cameraId: string; segmentId: number; bytes: number };
  /** The center asked for segments (a clip request); the video forwarder wakes up. */
  videoRequested: { segmentIds: number[] };
  /** An entry was appended to the access log; the uplink publishes it. */
  accessLogged: { seq: number };
  /** SIGHUP applied a new config's reloadable keys (quotas, camera overrides, forward modes). */
  configReloaded: { applied: string[] };
  /** Messages were written to the outbox; the sender wakes up. */
  outboxQueued: { count: number };
  /** A picture of a camera event waits in the spool; the uplink sends it. */
  snapshotSpooled: { cameraId: string; eventId: number };
  /** An event row the box stored (see EventLog); the uplink forwards these. */
  boxEvent: {
    id: number;
    tsMs: number;
    cameraId: string | null;
    kind: string;
    detail: Record<string, unknown>;
  };
}
