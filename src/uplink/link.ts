import { CamgateError } from "../errors.js";

/** The connection went (or was not there) before the broker acknowledged the message. */
export class LinkDownError extends CamgateError {}

/** The broker answered with a failure reason code: resending the same message cannot help. */
export class PublishRefusedError extends CamgateError {
  constructor(
    readonly reasonCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The broker said "not now" (0x91 packet identifier in use, 0x97 quota exceeded). Sending on
 * would break the order of a topic; the caller decides whether to reconnect and resend.
 */
export class BrokerBusyError extends CamgateError {
  constructor(
    readonly reasonCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  contentType?: string;
  /** MQTT 5 message expiry interval, seconds. */
  expirySeconds?: number;
  userProperties?: Record<string, string>;
  correlationData?: Buffer;
}

/** A message from the center, reduced to what the box reads of it. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties: Record<string, string>;
}

export type MessageHandler = (message: InboundMessage) => void;

/**
 * The box's one link to the center. Every part that sends or receives over MQTT goes through
 * this; only UplinkSession implements it over mqtt.js. Link state changes are announced on the
 * event bus (`uplinkState`), published before `connected` turns true and after it turns false.
 */
export interface UplinkLink {
  readonly connected: boolean;
  /**
   * Resolves when the broker acknowledged the message (QoS 1) or it was written (QoS 0).
   * Rejects with LinkDownError, PublishRefusedError or BrokerBusyError; with LinkDownError at
   * once while the link is down, and as soon as the connection goes with the message unacknowledged.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    options: PublishOptions,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Subscribes (QoS 1) on this and every later connection; returns the way to unsubscribe. */
  subscribe(filter: string, handler: MessageHandler): () => void;
  /** Drops the current connection; the link comes back after its usual backoff. */
  reconnect(reason: string): void;
}

/** Reason codes (MQTT 5, 3.4.2.1) at or above this are failures... */
const FAILURE = 0x80;
/** ...and these two only mean "not now". */
const BUSY = new Set([0x91, 0x97]);

/** The typed error for a failed publish acknowledgement, from the reason code if there is one. */
export function publishError(reasonCode: number | undefined, cause?: unknown): Error {
  if (reasonCode !== undefined && BUSY.has(reasonCode))
    return new BrokerBusyError(reasonCode, `the broker is busy (reason 0x${hex(reasonCode)})`, {
      cause,
    });
  if (reasonCode !== undefined && reasonCode >= FAILURE)
    return new PublishRefusedError(
      reasonCode,
      `the broker refused the message (reason 0x${hex(reasonCode)})`,
      { cause },
    );
  return new LinkDownError("the message was not acknowledged", { cause });
}

const hex = (code: number) => code.toString(16).padStart(2, "0");

/** MQTT topic filter matching (`+` one level, `#` the rest), for dispatching to subscribers. */
export function topicMatches(filter: string, topic: string): boolean {
  const want = filter.split("/");
  const have = topic.split("/");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === "#") return i < have.length || i === have.length;
    if (i >= have.length) return false;
    if (want[i] !== "+" && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}
