import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type IClientPublishOptions, type IPublishPacket, type MqttClient } from "mqtt";
import type { AgentEvents } from "../agent-events.js";
import type { UplinkConfig } from "../config/index.js";
import { Backoff, type Component, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { readTlsMaterial, type TlsMaterial, tlsOptions } from "../pki/index.js";
import {
  type InboundMessage,
  LinkDownError,
  type MessageHandler,
  publishError,
  type PublishOptions,
  topicMatches,
  type UplinkLink,
} from "./link.js";

export interface SessionMessage {
  topic: string;
  payload: Buffer | string;
  options: PublishOptions;
}

export interface UplinkSessionDeps {
  config: UplinkConfig;
  clientId: string;
  /**
   * The retained `offline` message: built at each connect as the last will the broker publishes
   * for us when that connection dies (`"connect"`), and again when we stop cleanly (`"stop"`).
   */
  will: (when: "connect" | "stop") => SessionMessage;
  /** Published (retained) on every connect, before anything else. */
  birth: () => SessionMessage;
  /**
   * The largest packet the box accepts (MQTT 5 Maximum Packet Size in CONNECT): the broker
   * drops anything larger instead of making the box read it into memory.
   */
  maxIncomingBytes: number;
  bus: EventBus<AgentEvents>;
  logger: Logger;
  random?: () => number;
}

export interface UplinkSessionStatus {
  connected: boolean;
  broker: string | null;
  since: number | null;
  lastError: string | null;
  connects: number;
}

const CONNECT_TIMEOUT_MS = 20_000;

interface Subscription {
  filter: string;
  handler: MessageHandler;
}

/**
 * One MQTT 5 session with the center, and the only code that talks to mqtt.js: the brokers
 * tried in turn, clean start off so the broker keeps our session across drops, and our own
 * reconnect loop (capped exponential backoff with jitter, so boxes do not come back in lockstep
 * after a center outage). Every publish settles: on its acknowledgement, with the broker's
 * refusal, or with LinkDownError as soon as its connection goes.
 */
export class UplinkSession implements Component, UplinkLink {
  readonly name = "uplink-session";
  #client: MqttClient | undefined;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #status: UplinkSessionStatus = {
    connected: false,
    broker: null,
    since: null,
    lastError: null,
    connects: 0,
  };
  readonly #subscriptions = new Set<Subscription>();
  /** How to fail each publish still waiting for its acknowledgement on this connection. */
  readonly #unacknowledged = new Set<(error: Error) => void>();
  /** Why we dropped the connection ourselves, for the status once it has closed. */
  #dropReason: string | null = null;
  /** The CA, certificate and key the next connection presents. */
  #material: TlsMaterial | undefined;
  /** The certificate (PEM) the connection up now was made with. */
  #connectedCertificate: string | undefined;

  constructor(private readonly deps: UplinkSessionDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#material = await readTlsMaterial(this.deps.config);
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  async stop(): Promise<void> {
    if (this.connected && !this.#abort?.signal.aborted) {
      // A clean stop says so itself: the will is for deaths, not for planned stops.
      const will = this.deps.will("stop");
      await this.publish(will.topic, will.payload, will.options).catch(() => undefined);
    }
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  get connected(): boolean {
    return this.#status.connected;
  }

  status(): UplinkSessionStatus {
    return { ...this.#status };
  }

  publish(
    topic: string,
    payload: Buffer | string,
    options: PublishOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    const client = this.#client;
    if (!client || !this.#status.connected || client.disconnecting)
      return Promise.reject(new LinkDownError("the link to the center is down"));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        if (!this.#unacknowledged.delete(settle)) return;
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = () => settle(signal?.reason as Error);
      this.#unacknowledged.add(settle);
      signal?.addEventListener("abort", onAbort, { once: true });
      client.publish(topic, payload, mqttOptions(options), (error) => {
        if (!error) return settle();
        const code = (error as { code?: unknown }).code;
        settle(publishError(typeof code === "number" ? code : undefined, error));
      });
    });
  }

  subscribe(filter: string, handler: MessageHandler): () => void {
    const subscription = { filter, handler };
    this.#subscriptions.add(subscription);
    if (this.#status.connected && this.#client) this.#subscribe(this.#client, [filter]);
    return () => {
      this.#subscriptions.delete(subscription);
      const stillWanted = [...this.#subscriptions].some((other) => other.filter === filter);
      if (!stillWanted && this.#status.connected) this.#client?.unsubscribe(filter);
    };
  }

  /** The certificate (PEM) of the connection that is up, or undefined while the link is down. */
  get connectedCertificate(): string | undefined {
    return this.#status.connected ? this.#connectedCertificate : undefined;
  }

  /**
   * Reads the CA, certificate and key again and reconnects with them (a renewed certificate):
   * every connection from now on presents the new identity.
   */
  async renewIdentity(reason: string): Promise<void> {
    this.#material = await readTlsMaterial(this.deps.config);
    this.reconnect(reason);
  }

  reconnect(reason: string): void {
    const client = this.#client;
    if (!client) return;
    this.deps.logger.warn({ reason }, "uplink reconnecting");
    this.#dropReason = reason;
    client.end(true);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.deps;
    const backoff = new Backoff({
      initialMs: Math.min(1000, config.reconnectDelayMax),
      maxMs: config.reconnectDelayMax,
      stableMs: 60_000,
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    for (let attempt = 0; !signal.aborted; attempt++) {
      const broker = config.brokers[attempt % config.brokers.length] ?? "";
      const began = Date.now();
      let connectedFor = 0;
      try {
        const material = this.#material;
        if (!material) throw new Error("no TLS material");
        connectedFor = await this.#session(broker, material, signal);
      } catch (error) {
        if (signal.aborted) break; // stopped while connecting: not a failure of the link
        this.#status.lastError = describe(error);
        logger.warn({ broker, err: error }, "uplink connection failed");
      }
      if (signal.aborted) break;
      const delay = backoff.next(connectedFor);
      logger.debug({ delayMs: delay, ranMs: Date.now() - began }, "uplink reconnecting");
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One connection, from dial to close; resolves with how long it was up. */
  #session(broker: string, material: TlsMaterial, signal: AbortSignal): Promise<number> {
    const { config, logger, bus } = this.deps;
    const url = new URL(broker);
    const will = this.deps.will("connect");
    const client = mqtt.connect(broker, {
      protocolVersion: 5,
      clientId: this.deps.clientId,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // mqtt-packet's default pre-allocates a Buffer for each of the 65,536 16-bit numbers to
      // save a 2-byte allocation per packet: 6 MiB of heap, and the agent's peak RSS with 16
      // cameras went from 147 to 118 MiB without it (npm run bench:events -- --heap).
      writeCache: false,
      keepalive: Math.max(5, Math.round(config.keepalive / 1000)),
      properties: {
        sessionExpiryInterval: Math.round(config.sessionExpiry / 1000),
        maximumPacketSize: this.deps.maxIncomingBytes,
      },
      will: {
        topic: will.topic,
        payload: Buffer.from(will.payload),
        qos: 1,
        retain: true,
        ...(will.options.contentType === undefined
          ? {}
          : { properties: { contentType: will.options.contentType } }),
      },
      ...tlsOptions(url, material),
    });
    this.#client = client;
    return new Promise<number>((resolve, reject) => {
      let upSince: number | undefined;
      let failure: Error | undefined;
      // Connected: end cleanly (in-flight acknowledgements settle). Still connecting: drop the
      // socket now; a graceful end would wait out the connect timeout.
      const onAbort = () => client.end(!client.connected);
      signal.addEventListener("abort", onAbort, { once: true });
      client.on("connect", (connack) => {
        // Stopped while connecting: the CONNACK may still arrive after end(), and publishing on
        // an ended client throws inside mqtt.js, out of any handler.
        if (signal.aborted || client.disconnecting) return;
        upSince = Date.now();
        this.#connectedCertificate = material.cert;
        this.#status = {
          ...this.#status,
          connected: true,
          broker,
          since: upSince,
          connects: this.#status.connects + 1,
        };
        logger.info({ broker }, "uplink connected");
        const birth = this.deps.birth();
        this.publish(birth.topic, birth.payload, birth.options).catch((error: unknown) => {
          logger.warn({ err: error }, "could not publish status");
        });
        // Subscribed on every connect: a broker that lost our session must not silence commands.
        this.#subscribe(client, [...new Set([...this.#subscriptions].map((sub) => sub.filter))]);
        const sessionPresent = connack.sessionPresent;
        bus.emit("uplinkState", { connected: true, broker, sessionPresent });
      });
      client.on("error", (error) => {
        failure = error;
      });
      client.on("message", (topic, payload, packet) => this.#dispatch(topic, payload, packet));
      client.on("close", () => {
        signal.removeEventListener("abort", onAbort);
        client.removeAllListeners();
        client.on("error", () => undefined);
        client.end(true);
        if (this.#client === client) this.#client = undefined;
        const gone = new LinkDownError("the connection went before the broker acknowledged");
        for (const settle of [...this.#unacknowledged]) settle(gone);
        if (upSince === undefined) {
          reject(failure ?? new Error("connection closed before the broker accepted it"));
          return;
        }
        const error = failure === undefined ? this.#dropReason : describe(failure);
        this.#dropReason = null;
        this.#status = { ...this.#status, connected: false, since: Date.now(), lastError: error };
        logger.warn({ broker, error }, "uplink disconnected");
        bus.emit("uplinkState", { connected: false, broker, error, stopping: signal.aborted });
        resolve(Date.now() - upSince);
      });
    });
  }

  #subscribe(client: MqttClient, filters: string[]): void {
    if (filters.length === 0) return;
    client.subscribe(filters, { qos: 1 }, (error, granted) => {
      const refused = granted?.filter((grant) => grant.qos >= 0x80) ?? [];
      if (error || refused.length > 0)
        this.deps.logger.error({ err: error, refused }, "subscription refused");
    });
  }

  #dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const properties = packet.properties;
    const userProperties: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties?.userProperties ?? {})) {
      // A property sent twice is ambiguous: it counts as absent.
      if (typeof value === "string") userProperties[name] = value;
    }
    const message: InboundMessage = {
      topic,
      payload,
      userProperties,
      ...(properties?.responseTopic === undefined
        ? {}
        : { responseTopic: properties.responseTopic }),
      ...(properties?.correlationData === undefined
        ? {}
        : { correlationData: properties.correlationData }),
    };
    for (const subscription of this.#subscriptions) {
      if (!topicMatches(subscription.filter, topic)) continue;
      try {
        subscription.handler(message);
      } catch (error) {
        this.deps.logger.error({ err: error, topic }, "message handler failed");
      }
    }
  }
}

function mqttOptions(options: PublishOptions): IClientPublishOptions {
  return {
    qos: options.qos,
    retain: options.retain ?? false,
    properties: {
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.expirySeconds === undefined
        ? {}
        : { messageExpiryInterval: options.expirySeconds }),
      ...(options.userProperties === undefined ? {} : { userProperties: options.userProperties }),
      ...(options.correlationData === undefined
        ? {}
        : { correlationData: options.correlationData }),
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" || typeof code === "number"
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
