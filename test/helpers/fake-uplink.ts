import type { AgentEvents } from "../../src/agent-events.js";
import type { EventBus } from "../../src/lifecycle/index.js";
import {
  BrokerBusyError,
  type InboundMessage,
  LinkDownError,
  type MessageHandler,
  PublishRefusedError,
  type PublishOptions,
  type UplinkLink,
} from "../../src/uplink/index.js";
import { topicMatches } from "../../src/uplink/link.js";

/** A message the fake broker acknowledged. */
export interface FakePublished {
  topic: string;
  payload: Buffer;
  options: PublishOptions;
}

interface Unacknowledged extends FakePublished {
  settle: (error?: Error) => void;
}

interface Verdict {
  matches: (topic: string) => boolean;
  reasonCode: number;
}

const BUSY = new Set([0x91, 0x97]);

/**
 * An in-memory UplinkLink with a broker the test drives: it acknowledges at once or on demand,
 * refuses or is busy for chosen topics, drops the link with messages in flight, and delivers
 * the center's messages. Link changes go on the bus as the real session's do.
 */
export class FakeUplink implements UplinkLink {
  #connected = false;
  /** Publishes wait for ackAll()/ackNext() while false. */
  autoAck = true;
  readonly published: FakePublished[] = [];
  readonly reconnects: string[] = [];
  readonly #unacknowledged: Unacknowledged[] = [];
  readonly #verdicts: Verdict[] = [];
  readonly #subscriptions = new Set<{ filter: string; handler: MessageHandler }>();

  constructor(
    private readonly bus: EventBus<AgentEvents>,
    readonly broker = "mqtts://fake-broker:8883",
  ) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** Messages published and not yet acknowledged. */
  get inFlight(): readonly FakePublished[] {
    return this.#unacknowledged;
  }

  /** Subscription filters currently held. */
  get filters(): string[] {
    return [...this.#subscriptions].map((subscription) => subscription.filter);
  }

  up(options: { sessionPresent?: boolean } = {}): void {
    if (this.#connected) return;
    this.#connected = true;
    this.bus.emit("uplinkState", {
      connected: true,
      broker: this.broker,
      sessionPresent: options.sessionPresent ?? false,
    });
  }

  /** The connection goes: every unacknowledged publish fails with LinkDownError. */
  down(error = "connection lost"): void {
    if (!this.#connected) return;
    this.#connected = false;
    const gone = new LinkDownError("the connection went before the broker acknowledged");
    for (const message of this.#unacknowledged.splice(0)) message.settle(gone);
    this.bus.emit("uplinkState", { connected: false, broker: this.broker, error });
  }

  /** From now on, the broker answers publishes to matching topics with this reason code. */
  answer(matches: (topic: string) => boolean, reasonCode: number): () => void {
    const verdict = { matches, reasonCode };
    this.#verdicts.push(verdict);
    return () => this.#verdicts.splice(this.#verdicts.indexOf(verdict), 1);
  }

  publish(
    topic: string,
    payload: Buffer | string,
    options: PublishOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    if (!this.#connected) return Promise.reject(new LinkDownError("the link is down"));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const message: Unacknowledged = {
        topic,
        payload: Buffer.from(payload),
        options,
        settle: (error) => {
          signal?.removeEventListener("abort", onAbort);
          if (error) reject(error);
          else resolve();
        },
      };
      const onAbort = () => {
        this.#drop(message);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#unacknowledged.push(message);
      if (this.autoAck) setImmediate(() => this.#acknowledge(message));
    });
  }

  /** Acknowledges every message in flight, in order; returns how many. */
  ackAll(): number {
    const messages = [...this.#unacknowledged];
    for (const message of messages) this.#acknowledge(message);
    return messages.length;
  }

  subscribe(filter: string, handler: MessageHandler): () => void {
    const subscription = { filter, handler };
    this.#subscriptions.add(subscription);
    return () => this.#subscriptions.delete(subscription);
  }

  reconnect(reason: string): void {
    this.reconnects.push(reason);
    this.down(reason);
    setImmediate(() => this.up({ sessionPresent: true }));
  }

  /** A message from the center; delivered only while the link is up, as on a real broker. */
  deliver(topic: string, payload: Buffer | string, extra: Partial<InboundMessage> = {}): number {
    if (!this.#connected) return 0;
    const message: InboundMessage = {
      userProperties: {},
      ...extra,
      topic,
      payload: Buffer.from(payload),
    };
    let delivered = 0;
    for (const subscription of this.#subscriptions) {
      if (!topicMatches(subscription.filter, topic)) continue;
      subscription.handler(message);
      delivered++;
    }
    return delivered;
  }

  /** Acknowledged messages on topics matching a filter. */
  on(filter: string): FakePublished[] {
    return this.published.filter((message) => topicMatches(filter, message.topic));
  }

  #acknowledge(message: Unacknowledged): void {
    if (!this.#drop(message)) return;
    const verdict = this.#verdicts.find((candidate) => candidate.matches(message.topic));
    if (verdict === undefined) {
      this.published.push({
        topic: message.topic,
        payload: message.payload,
        options: message.options,
      });
      message.settle();
    } else if (BUSY.has(verdict.reasonCode)) {
      message.settle(new BrokerBusyError(verdict.reasonCode, "the broker is busy"));
    } else {
      message.settle(new PublishRefusedError(verdict.reasonCode, "the broker refused"));
    }
  }

  #drop(message: Unacknowledged): boolean {
    const index = this.#unacknowledged.indexOf(message);
    if (index < 0) return false;
    this.#unacknowledged.splice(index, 1);
    return true;
  }
}
