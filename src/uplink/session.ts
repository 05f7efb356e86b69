import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type IClientPublishOptions, type IPublishPacket, type MqttClient } from "mqtt";
import type { AgentEvents } from "../agent-events.js";
import type { UplinkConfig } from "../config/index.js";
import { Backoff, type Component, type EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { readTlsMaterial, type TlsMaterial, tlsOptions } from "../pki/index.js";

export interface SessionMessage {
  topic: string;
  payload: Buffer | string;
  options: IClientPublishOptions;
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
  /** Topic filters subscribed (QoS 1) on every connect, and where their messages go. */
  subscriptions?: {
    filters: string[];
    onMessage: (topic: string, payload: Buffer, packet: IPublishPacket) => void;
  };
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

/**
 * One MQTT 5 session with the center: the brokers tried in turn, clean start off so the broker
 * keeps our session across drops, and our own reconnect loop (capped exponential backoff with
 * jitter, so boxes do not come back in lockstep after a center outage).
 */
export class UplinkSession implements Component {
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

  constructor(private readonly deps: UplinkSessionDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const material = await readTlsMaterial(this.deps.config);
    this.#abort = new AbortController();
    this.#loop = this.#run(material, this.#abort.signal);
  }

  async stop(): Promise<void> {
    const client = this.#client;
    if (client?.connected && !this.#abort?.signal.aborted) {
      // A clean stop says so itself: the will is for deaths, not for planned stops.
      const will = this.deps.will("stop");
      await client.publishAsync(will.topic, will.payload, will.options).catch(() => undefined);
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

  /** The live client, for the few that must hand it callbacks (the outbox sender). */
  get client(): MqttClient | undefined {
    return this.#client?.connected ? this.#client : undefined;
  }

  async #run(material: TlsMaterial, signal: AbortSignal): Promise<void> {
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
      keepalive: Math.max(5, Math.round(config.keepalive / 1000)),
      properties: { sessionExpiryInterval: Math.round(config.sessionExpiry / 1000) },
      will: {
        topic: will.topic,
        payload: Buffer.from(will.payload),
        qos: 1,
        retain: true,
        ...(will.options.properties?.contentType === undefined
          ? {}
          : { properties: { contentType: will.options.properties.contentType } }),
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
      client.on("connect", () => {
        // Stopped while connecting: the CONNACK may still arrive after end(), and publishing on
        // an ended client throws inside mqtt.js, out of any handler.
        if (signal.aborted || client.disconnecting) return;
        upSince = Date.now();
        this.#status = {
          ...this.#status,
          connected: true,
          broker,
          since: upSince,
          connects: this.#status.connects + 1,
        };
        logger.info({ broker }, "uplink connected");
        const birth = this.deps.birth();
        client.publish(birth.topic, birth.payload, birth.options, (error) => {
          if (error) logger.warn({ err: error }, "could not publish status");
        });
        this.#subscribe(client);
        bus.emit("uplinkState", { connected: true, broker });
      });
      client.on("error", (error) => {
        failure = error;
      });
      client.on("message", (topic, payload, packet) =>
        this.deps.subscriptions?.onMessage(topic, payload, packet),
      );
      client.on("close", () => {
        signal.removeEventListener("abort", onAbort);
        client.removeAllListeners();
        client.on("error", () => undefined);
        client.end(true);
        if (this.#client === client) this.#client = undefined;
        if (upSince === undefined) {
          reject(failure ?? new Error("connection closed before the broker accepted it"));
          return;
        }
        const error = failure === undefined ? null : describe(failure);
        this.#status = { ...this.#status, connected: false, since: Date.now(), lastError: error };
        logger.warn({ broker, error }, "uplink disconnected");
        bus.emit("uplinkState", { connected: false, broker, error, stopping: signal.aborted });
        resolve(Date.now() - upSince);
      });
    });
  }

  #subscribe(client: MqttClient): void {
    const subscriptions = this.deps.subscriptions;
    if (!subscriptions) return;
    // Subscribed on every connect: a broker that lost our session must not silence commands.
    client.subscribe(subscriptions.filters, { qos: 1 }, (error, granted) => {
      const refused = granted?.filter((grant) => grant.qos >= 0x80) ?? [];
      if (error || refused.length > 0)
        this.deps.logger.error({ err: error, refused }, "subscription refused");
    });
  }
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
