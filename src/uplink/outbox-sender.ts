import type { AgentEvents } from "../agent-events.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { OutboxMessage, Store } from "../store/index.js";
import {
  BrokerBusyError,
  PublishRefusedError,
  type PublishOptions,
  type UplinkLink,
} from "./link.js";
import type { TokenBucket } from "./token-bucket.js";

/** Messages published and not yet acknowledged, at most: enough to fill a slow link's pipe. */
const WINDOW = 128;
/** The window is refilled when it is this empty: one outbox query per batch, not per PUBACK. */
const REFILL_AT = WINDOW / 2;
/**
 * Acknowledged rows are deleted together, this long after the first of them (sooner when a
 * window's worth is waiting): a few commits a second however many messages flow. Never sent
 * again meanwhile; a crash in between only resends them, which the center drops.
 */
const ACK_COMMIT_MS = 250;

export interface OutboxSenderDeps {
  store: Pick<Store, "repos" | "db">;
  session: UplinkLink;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  /** The upload cap, which outbox messages draw on without waiting for it. */
  bucket?: TokenBucket | undefined;
  now?: () => number;
}

export interface OutboxSenderStatus {
  queued: number;
  queuedBytes: number;
  inFlight: number;
  sent: number;
  refused: number;
  expired: number;
  dropped: number;
}

/**
 * Drains the outbox while the session is up: most urgent first, in produced order, up to a
 * window of unacknowledged messages. A row is deleted only on its PUBACK (acks are committed
 * together, a few times a second), so a drop or a crash resends, never loses.
 */
export class OutboxSender implements Component {
  readonly name = "uplink-outbox";
  readonly #inFlight = new Set<number>();
  #acked: number[] = [];
  #flush: NodeJS.Timeout | undefined;
  #deferred: NodeJS.Immediate | undefined;
  #unsubscribe: (() => void)[] = [];
  #epoch = "";
  #sent = 0;
  #refused = 0;
  #expired = 0;
  #pumping = false;
  /** False once a query found nothing left to send, until something is queued or reconnects. */
  #mayHaveMore = true;
  #stopped = false;
  readonly #idleWaiters = new Set<() => void>();

  constructor(private readonly deps: OutboxSenderDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#stopped = false;
    this.#mayHaveMore = true;
    this.#epoch = this.#repo.epoch();
    const { bus } = this.deps;
    this.#unsubscribe = [
      bus.on("uplinkState", ({ connected }) => {
        // Whatever was in flight on a dead connection is resent, in order, on the next one.
        if (!connected) this.#inFlight.clear();
        else this.#wake();
      }),
      bus.on("outboxQueued", () => this.#wake()),
    ];
    this.pump();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    clearTimeout(this.#flush);
    this.#flush = undefined;
    if (this.#deferred) clearImmediate(this.#deferred);
    this.#deferred = undefined;
    this.#commitAcks();
    this.#notifyIdle();
  }

  /**
   * Resolves once the link is up and nothing of the outbox waits or is in flight: video goes
   * only then, so status, events and replies never queue behind it.
   */
  whenIdle(signal: AbortSignal): Promise<void> {
    if (this.#idle() || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#idleWaiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#idleWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #idle(): boolean {
    return (
      this.#stopped ||
      (this.deps.session.connected && !this.#mayHaveMore && this.#inFlight.size === 0)
    );
  }

  #notifyIdle(): void {
    if (this.#idleWaiters.size === 0 || !this.#idle()) return;
    for (const done of [...this.#idleWaiters]) done();
  }

  status(): OutboxSenderStatus {
    const { count, bytes } = this.#repo.stats();
    return {
      queued: count,
      queuedBytes: bytes,
      inFlight: this.#inFlight.size,
      sent: this.#sent,
      refused: this.#refused,
      expired: this.#expired,
      dropped: this.#repo.droppedSoFar(),
    };
  }

  /** The message id the center de-duplicates by: unique across this database's life. */
  #messageId(id: number): string {
    return `${this.#epoch}-${id}`;
  }

  pump(): void {
    if (this.#pumping || this.#stopped) return;
    // Woken from inside a transaction (a message queued with the event it carries): its rows
    // are not committed yet, and nothing leaves the box before it is stored.
    if (this.deps.store.db.inTransaction) {
      this.#deferred ??= setImmediate(() => {
        this.#deferred = undefined;
        this.pump();
      });
      return;
    }
    this.#pumping = true;
    try {
      this.#fill();
    } catch (error) {
      this.deps.logger.error({ err: error }, "outbox sender failed");
    } finally {
      this.#pumping = false;
    }
    this.#notifyIdle();
  }

  get #repo() {
    return this.deps.store.repos.outbox;
  }

  #wake(): void {
    this.#mayHaveMore = true;
    this.pump();
  }

  #fill(): void {
    const { session } = this.deps;
    const now = (this.deps.now ?? Date.now)();
    if (this.#inFlight.size > REFILL_AT) return;
    while (session.connected && this.#mayHaveMore && this.#inFlight.size < WINDOW) {
      const wanted = WINDOW - this.#inFlight.size;
      const batch = this.#repo.peek(wanted, [...this.#inFlight, ...this.#acked]);
      // A short batch is all there is: PUBACKs need not ask again until more is queued.
      if (batch.length < wanted) this.#mayHaveMore = false;
      for (const message of batch) {
        if (message.expiresMs !== null && message.expiresMs <= now) {
          this.#expired++;
          this.#ack(message.id);
          continue;
        }
        this.#inFlight.add(message.id);
        this.deps.bucket?.draw(message.payload.length);
        session.publish(message.topic, message.payload, this.#options(message, now)).then(
          () => this.#settled(message),
          (error: unknown) => this.#settled(message, error),
        );
      }
    }
  }

  #options(message: OutboxMessage, now: number): PublishOptions {
    const contentType = message.properties?.["contentType"];
    const correlationData = message.properties?.["correlationData"];
    return {
      qos: message.qos === 0 ? 0 : 1,
      retain: message.retain,
      ...(typeof contentType === "string" ? { contentType } : {}),
      ...(typeof correlationData === "string"
        ? { correlationData: Buffer.from(correlationData, "base64") }
        : {}),
      ...(message.expiresMs === null
        ? {}
        : { expirySeconds: Math.max(1, Math.ceil((message.expiresMs - now) / 1000)) }),
      userProperties: { "msg-id": this.#messageId(message.id) },
    };
  }

  #settled(message: OutboxMessage, error?: unknown): void {
    if (!this.#inFlight.delete(message.id) && error) return;
    if (!error) {
      this.#sent++;
      this.#ack(message.id);
      this.pump();
      return;
    }
    if (error instanceof BrokerBusyError) {
      // Sending on would break the order of the topic: drop the connection, back off, resend.
      this.deps.logger.warn({ topic: message.topic, reasonCode: error.reasonCode }, "broker busy");
      this.deps.session.reconnect("the broker is busy");
    } else if (error instanceof PublishRefusedError) {
      // Resending cannot help (not authorised, payload refused...): say so and let it go.
      this.#refused++;
      this.deps.logger.error(
        { topic: message.topic, reasonCode: error.reasonCode },
        "broker refused a message",
      );
      this.#ack(message.id);
      this.pump();
    }
    // Otherwise the connection went; the message stays and is resent on the next one.
  }

  #ack(id: number): void {
    this.#acked.push(id);
    if (this.#acked.length >= WINDOW) this.#flushAcks();
    else this.#flush ??= setTimeout(() => this.#flushAcks(), ACK_COMMIT_MS);
  }

  #flushAcks(): void {
    clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#commitAcks();
    this.pump();
  }

  #commitAcks(): void {
    if (this.#acked.length === 0) return;
    const ids = this.#acked;
    try {
      this.#repo.ackMany(ids);
      this.#acked = [];
    } catch (error) {
      // Left in #acked: retried on the next commit, and never resent meanwhile.
      this.deps.logger.error({ err: error }, "could not delete acknowledged messages");
    }
  }
}
