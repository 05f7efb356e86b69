import type { X509Certificate } from "node:crypto";
import { join } from "node:path";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import {
  PAYLOAD_SCHEMAS,
  type ParsedMediaTopic,
  type ParsedTopic,
  parseChunkHeader,
  parseMediaTopic,
  parseTopic,
  TOPIC_PREFIX,
  verifyEmbedded,
} from "../protocol/index.js";
import {
  parseCertificates,
  readTlsMaterial,
  siteNamedBy,
  tlsOptions,
  verifyChain,
} from "../pki/index.js";
import { writeFileAtomic } from "../util/files.js";
import { CenterFiles } from "./center-files.js";
import { CenterLive, type LiveRecording } from "./center-live.js";
import { CenterVideo, type ReceivedSegment } from "./center-video.js";
import type { CenterConfig } from "./center-config.js";

export interface CenterSummary {
  sites: Record<
    string,
    { messages: number; duplicates: number; lastSeen: string; online: boolean }
  >;
  refused: number;
  video: { segments: number; verified: number; duplicates: number; incomplete: number };
  live: number;
}

export interface CenterDeps {
  config: CenterConfig;
  logger: Logger;
  /** Called after each message is kept (the CLI redraws its summary). */
  onMessage?: (topic: ParsedTopic) => void;
}

/**
 * The reference receiver of a commune center: one shared subscription to every box's tree,
 * each message checked (topic, size, JSON, schema, audit signature against the box's own
 * certificate, which must chain to our CA and name the site) and kept once.
 */
export class Center implements Component {
  readonly name = "center";
  #client: MqttClient | undefined;
  #files: CenterFiles | undefined;
  #video: CenterVideo | undefined;
  #live: CenterLive | undefined;
  #queue: Promise<void> = Promise.resolve();
  #ca: X509Certificate[] | undefined;
  readonly #summary: CenterSummary = {
    sites: {},
    refused: 0,
    video: { segments: 0, verified: 0, duplicates: 0, incomplete: 0 },
    live: 0,
  };
  #markSubscribed: () => void = () => undefined;
  /** Resolves once the broker has granted our subscription. */
  readonly subscribed = new Promise<void>((resolve) => {
    this.#markSubscribed = resolve;
  });

  constructor(private readonly deps: CenterDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.deps;
    const material = await readTlsMaterial(config);
    signal.throwIfAborted();
    this.#ca = parseCertificates(material.ca, "the CA file");
    const files = new CenterFiles(config.dir);
    this.#files = files;
    this.#video = new CenterVideo((site) => files.siteDir(site));
    this.#live = new CenterLive((site) => files.siteDir(site));
    const broker = config.brokers[0] ?? "";
    const client = mqtt.connect(broker, {
      protocolVersion: 5,
      clientId: config.clientId,
      clean: false,
      reconnectPeriod: 2000,
      properties: { sessionExpiryInterval: config.sessionExpirySeconds },
      ...tlsOptions(new URL(broker), material),
    });
    this.#client = client;
    const filter =
      config.group === null ? `${TOPIC_PREFIX}/+/#` : `$share/${config.group}/${TOPIC_PREFIX}/+/#`;
    client.on("connect", (connack) => {
      logger.info({ broker, sessionPresent: connack.sessionPresent }, "center connected");
      // Subscribed on every connect, kept session or not: a broker restored from its
      // persistence may bring the session back without its shared subscriptions.
      client.subscribe(filter, { qos: 1 }, (error, granted) => {
        const code = granted?.[0]?.qos ?? 0x80;
        if (error || code >= 0x80)
          logger.error({ err: error, filter, code }, "subscription refused");
        else this.#markSubscribed();
      });
    });
    client.on("error", (error) => logger.warn({ err: error }, "center connection error"));
    client.on("message", (topic, payload, packet) => {
      const media = parseMediaTopic(topic);
      this.#queue = this.#queue
        .then(() =>
          media
            ? this.#receiveMedia(media, payload, packet)
            : this.#receive(topic, payload, packet),
        )
        .catch((error: unknown) => logger.error({ err: error, topic }, "could not keep a message"));
    });
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.endAsync();
    await this.#queue;
    if (this.#video && this.deps.config.dir) {
      await writeFileAtomic(
        join(this.deps.config.dir, "video-missing.json"),
        `${JSON.stringify(this.#video.missing(), null, 2)}\n`,
      );
    }
  }

  summary(): CenterSummary {
    const summary = structuredClone(this.#summary);
    summary.video.incomplete = this.#video?.missing().length ?? 0;
    return summary;
  }

  /** Segments received whole (verified or not), in arrival order. */
  receivedSegments(): readonly ReceivedSegment[] {
    return this.#video?.received() ?? [];
  }

  liveRecordings(): LiveRecording[] {
    return this.#live?.sessions() ?? [];
  }

  async #receiveMedia(
    topic: ParsedMediaTopic,
    payload: Buffer,
    packet: IPublishPacket,
  ): Promise<void> {
    const properties = packet.properties?.userProperties;
    if (topic.kind === "live") {
      const recording = await this.#live?.piece(topic, properties, payload);
      if (!recording) return this.#refuse(packet.topic, "live piece without a session");
      if (recording.messages === 1) this.#summary.live++;
      return;
    }
    const header = parseChunkHeader(topic.segmentId ?? 0, properties);
    if (!header || !this.#video) return this.#refuse(packet.topic, "chunk header is not valid");
    const outcome = await this.#video.chunk(topic, header, payload);
    if (outcome === "refused") return this.#refuse(packet.topic, "chunk does not fit its segment");
    if (outcome === "duplicate") this.#summary.video.duplicates++;
    if (typeof outcome === "object") {
      this.#summary.video.segments++;
      if (outcome.verified) this.#summary.video.verified++;
      else this.deps.logger.error({ segment: outcome }, "segment failed verification");
    }
  }

  #refuse(topic: string, reason: string): void {
    this.#summary.refused++;
    this.deps.logger.warn({ topic, reason }, "message refused");
  }

  async #receive(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const parsed = parseTopic(topic);
    const files = this.#files;
    if (!parsed || !files) return;
    const refuse = (reason: string) => this.#refuse(topic, reason);
    if (payload.length > this.deps.config.maxPayloadBytes) return refuse("too large");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
    } catch {
      return refuse("not JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return refuse("not an object");
    if (body["schema"] !== PAYLOAD_SCHEMAS[parsed.family]) return refuse("unknown schema");
    const messageId = packet.properties?.userProperties?.["msg-id"];
    const id = typeof messageId === "string" ? messageId : undefined;
    const site = (this.#summary.sites[parsed.siteId] ??= {
      messages: 0,
      duplicates: 0,
      lastSeen: "",
      online: false,
    });
    if (id !== undefined && (await files.freshness(parsed, topic, id)) === "duplicate") {
      site.duplicates++;
      return;
    }
    const record: Record<string, unknown> = {
      receivedAt: new Date().toISOString(),
      topic,
      ...(id === undefined ? {} : { msgId: id }),
      payload: body,
    };
    if (parsed.family === "status") site.online = body["state"] === "online";
    if (parsed.family === "audit") record["verified"] = this.#verifyAudit(parsed.siteId, body);
    if (
      parsed.family === "segments" &&
      parsed.cameraId !== null &&
      typeof body["segmentId"] === "number" &&
      typeof body["sha256"] === "string"
    )
      this.#video?.noteIndexEntry(
        parsed.siteId,
        parsed.cameraId,
        body["segmentId"],
        body["sha256"],
      );
    const retained = ["status", "info", "state", "audit"].includes(parsed.family);
    await files.keep(parsed, topic, id, record, retained);
    site.messages++;
    site.lastSeen = record["receivedAt"] as string;
    this.deps.onMessage?.(parsed);
  }

  /**
   * The box's certificate counts only if our CA issued it (through any intermediates sent with
   * it) and it names the site it speaks for: the same reading as the box's own install check.
   */
  #trustedBoxCertificate(siteId: string, pem: string): boolean {
    try {
      const [leaf, ...intermediates] = parseCertificates(pem, "the signer's certificate");
      if (!leaf || this.#ca === undefined) return false;
      verifyChain(leaf, intermediates, this.#ca);
      return siteNamedBy(leaf, siteId) !== undefined;
    } catch {
      return false;
    }
  }

  /** Signed by a key whose certificate our CA issued to this very site, or not verified. */
  #verifyAudit(siteId: string, body: Record<string, unknown>): boolean {
    const pem = body["signerCertificate"];
    if (typeof pem !== "string" || !this.#trustedBoxCertificate(siteId, pem)) return false;
    try {
      const report = body["report"];
      if (typeof report !== "object" || report === null) return false;
      return verifyEmbedded(report, pem);
    } catch {
      return false;
    }
  }
}
