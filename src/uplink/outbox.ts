import type { AgentEvents } from "../agent-events.js";
import type { UplinkConfig } from "../config/index.js";
import type { EventBus } from "../lifecycle/index.js";
import type { NewOutboxMessage, OutboxBounds, Store } from "../store/index.js";
import { CONTENT_TYPE, encodePayload, type TopicFamily } from "../protocol/index.js";
import { priorityOf } from "./priorities.js";

export interface OutgoingMessage {
  topic: string;
  family: TopicFamily;
  /** The payload without its `schema` field, which is added from the family. */
  body: Record<string, unknown>;
  retain?: boolean;
  /** Worth sending only this long (MQTT 5 message expiry, and dropped unsent after it). */
  ttlMs?: number;
  /** MQTT 5 correlation data (a command's reply), kept in the row's properties as base64. */
  correlationData?: Buffer;
}

/**
 * The durable side of the uplink: messages are committed to SQLite before anyone may count on
 * them, within the configured bound, and the sender is woken.
 */
export class Outbox {
  constructor(
    private readonly store: Pick<Store, "repos" | "db">,
    private readonly config: Pick<UplinkConfig, "outbox">,
    private readonly bus: EventBus<AgentEvents>,
    private readonly now: () => number = Date.now,
  ) {}

  get bounds(): OutboxBounds {
    return this.config.outbox;
  }

  /** Encodes the messages for the outbox (the caller may commit them with other rows). */
  encode(messages: readonly OutgoingMessage[]): NewOutboxMessage[] {
    const createdMs = this.now();
    return messages.map((message) => ({
      topic: message.topic,
      payload: Buffer.from(encodePayload(message.family, message.body)),
      qos: 1,
      retain: message.retain ?? false,
      priority: priorityOf(message.family),
      properties: {
        contentType: CONTENT_TYPE,
        ...(message.correlationData
          ? { correlationData: message.correlationData.toString("base64") }
          : {}),
      },
      createdMs,
      expiresMs: message.ttlMs === undefined ? null : createdMs + message.ttlMs,
    }));
  }

  put(messages: readonly OutgoingMessage[]): void {
    if (messages.length === 0) return;
    this.store.repos.outbox.enqueueMany(this.encode(messages), this.bounds);
    this.notify(messages.length);
  }

  notify(count: number): void {
    this.bus.emit("outboxQueued", { count });
  }
}
