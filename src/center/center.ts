import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import {
  PAYLOAD_SCHEMAS,
  type ParsedMediaTopic,
  type ParsedTopic,
  parseChunkHeader,
  parseCertificateSite,
  parseMediaTopic,
  parseTopic,
  SiteTopics,
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
import { CertificateIssuer } from "./issuer.js";
import { CenterLive, type LiveRecording } from "./center-live.js";
import { CenterVideo, type ReceivedSegment } from "./center-video.js";
import type { CenterConfig } from "./center-config.js";
import { Scratch } from "./scratch.js";
import { SharedLogs } from "./shared-log.js";

/** A message that came while the center stops: left unacknowledged, for its next run. */
class StoppingError extends CamgateError {}

/** Families whose newest message is the state: kept as one JSON file each. */
const STATE_FAMILIES = ["status", "info", "state", "audit"];

/** MQTT 5 reason code of a DISCONNECT: another client connected with our client id. */
const SESSION_TAKEN_OVER = 0x8e;

/**
 * What a worker subscribes to. One worker (`group: null`): the whole tree. Workers in a group
 * share (`$share/<group>/...`) the families whose messages are kept once wherever they land
 * (JSON lines by msg-id, video chunks in place); each worker also takes every state message
 * (newest wins; a shared subscription would lose their order between workers) and every live
 * piece (one worker must append a session's pieces, in order).
 */
function centerSubscriptions(group: string | null): string[] {
  const root = `${TOPIC_PREFIX}/+`;
  if (group === null) return [`${root}/#`];
  const shared = ["health", "events", "access", "reply/+", "cameras/+/events", "cert/request"]
    .concat(["cameras/+/segments", "cameras/+/video/+"])
    .map((path) => `$share/${group}/${root}/${path}`);
  const own = ["status", "cameras/+/info", "cameras/+/state", "cameras/+/audit", "cameras/+/live"];
  return [...shared, ...own.map((path) => `${root}/${path}`)];
}

export interface CenterSummary {
  sites: Record<
    string,
    { messages: number; duplicates: number; lastSeen: string; online: boolean }
  >;
  refused: number;
  /** Messages not kept (the disk failed): not acknowledged, so the broker sends them again. */
  failed: number;
  video: {
    chunks: number;
    segments: number;
    verified: number;
    duplicates: number;
    incomplete: number;
  };
  live: number;
}

export interface CenterDeps {
  config: CenterConfig;
  logger: Logger;
  /** Called after each message is kept (the CLI redraws its summary). */
  onMessage?: (topic: ParsedTopic) => void;
}

/**
 * The reference receiver of a commune center, one worker of several or alone: each message
 * checked (topic, size, JSON, schema, audit signature against the box's own certificate, which
 * must chain to our CA and name the site), kept once, and acknowledged only once it is on disk
 * (synced): a worker killed at any moment loses nothing, as the broker keeps its session and
 * sends what it had not acknowledged again. Messages are handled one at a time, in order.
 */
export class Center implements Component {
  readonly name = "center";
  #client: MqttClient | undefined;
  #files: CenterFiles | undefined;
  #scratch: Scratch | undefined;
  #video: CenterVideo | undefined;
  #live: CenterLive | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;
  #ca: X509Certificate[] | undefined;
  #issuer: CertificateIssuer | undefined;
  #issued: { site: string; serialNumber: string; notAfter: string }[] = [];
  readonly #summary: CenterSummary = {
    sites: {},
    refused: 0,
    failed: 0,
    video: { chunks: 0, segments: 0, verified: 0, duplicates: 0, incomplete: 0 },
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
    if (config.issuer) this.#issuer = await CertificateIssuer.open(config.issuer, this.#ca);
    // Only this worker writes in its scratch folder: what a killed run of it left there goes.
    const scratch = new Scratch(join(config.dir, `.scratch-${config.clientId}`));
    await scratch.clear();
    this.#scratch = scratch;
    const disk = { worker: config.clientId, scratch, logs: new SharedLogs() };
    const files = new CenterFiles(config.dir, disk);
    this.#files = files;
    this.#video = new CenterVideo((site) => files.siteDir(site), disk);
    this.#live = new CenterLive((site) => files.siteDir(site), disk);
    const broker = config.brokers[0] ?? "";
    const client = mqtt.connect(broker, {
      protocolVersion: 5,
      clientId: config.clientId,
      clean: false,
      reconnectPeriod: 2000,
      properties: { sessionExpiryInterval: config.sessionExpirySeconds },
      // The acknowledgement goes once the message is on disk, not when it arrives.
      customHandleAcks: (topic, payload, packet, done) =>
        this.#take(topic, payload, packet as IPublishPacket, done),
      ...tlsOptions(new URL(broker), material),
    });
    this.#client = client;
    const filters = centerSubscriptions(config.group);
    client.on("connect", (connack) => {
      logger.info({ broker, sessionPresent: connack.sessionPresent }, "center connected");
      // Subscribed on every connect, kept session or not: a broker restored from its
      // persistence may bring the session back without its shared subscriptions.
      client.subscribe(filters, { qos: 1 }, (error, granted) => {
        const refused = (granted ?? []).filter((grant) => grant.qos >= 0x80);
        if (error || refused.length > 0 || granted?.length !== filters.length)
          logger.error({ err: error, refused }, "subscription refused");
        else {
          logger.info({ filters }, "center subscribed");
          this.#markSubscribed();
        }
      });
    });
    client.on("disconnect", (packet) => {
      if (packet.reasonCode === SESSION_TAKEN_OVER)
        logger.error(
          { clientId: config.clientId },
          "another client took over this worker's session: each worker needs its own client id " +
            "and, on a broker that makes the certificate's CN the client id, its own certificate",
        );
    });
    client.on("error", (error) => {
      if (!(error instanceof StoppingError)) logger.warn({ err: error }, "center connection error");
    });
    // QoS 0 messages have no acknowledgement and do not pass through customHandleAcks.
    client.on("message", (topic, payload, packet) => {
      if (packet.qos === 0) this.#take(topic, payload, packet);
    });
  }

  /**
   * Queues a message; acknowledges it once kept. If it could not be kept, neither it nor anything
   * after it is acknowledged on this connection (mqtt.js hands us the next one only after this
   * one's acknowledgement): the connection is dropped, and the broker sends them all again once
   * we are back.
   */
  #take(
    topic: string,
    payload: Buffer,
    packet: IPublishPacket,
    done?: (error: Error | number, code?: number) => void,
  ): void {
    if (this.#stopping) {
      // Not acknowledged: the broker sends it again next time. Handed back to mqtt.js as
      // failed, so that it goes on reading the connection and the clean end completes.
      done?.(new StoppingError("the center is stopping"));
      return;
    }
    const kept = this.#queue.then(() => this.#handle(topic, payload, packet));
    this.#queue = kept.then(
      () => done?.(0),
      (error: unknown) => {
        this.#summary.failed++;
        this.deps.logger.error(
          { err: error, topic },
          "could not keep a message: not acknowledged, reconnecting for the broker to send it again",
        );
        const client = this.#client;
        if (client?.connected) client.stream.destroy();
      },
    );
  }

  #handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const requester = parseCertificateSite(topic);
    if (requester !== undefined) return this.#answerCertificateRequest(requester, payload);
    const media = parseMediaTopic(topic);
    return media
      ? this.#receiveMedia(media, payload, packet)
      : this.#receive(topic, payload, packet);
  }

  async stop(): Promise<void> {
    // The message in hand is finished and acknowledged; later ones wait for our next run.
    this.#stopping = true;
    await this.#queue;
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.endAsync();
    const { config } = this.deps;
    if (this.#video && this.#scratch) {
      const name =
        config.group === null ? "video-missing.json" : `video-missing-${config.clientId}.json`;
      await this.#scratch.writeAtomic(
        join(config.dir, name),
        `${JSON.stringify(await this.#video.missing(), null, 2)}\n`,
      );
    }
  }

  /** Certificates this center issued to boxes (renewals), oldest first. */
  issuedCertificates(): { site: string; serialNumber: string; notAfter: string }[] {
    return [...this.#issued];
  }

  /**
   * A box's certificate request: answered on its `cert/issued` when this center issues
   * (`issuer`), each certificate kept as `<site>/certificates/<serial>.pem` first; ignored
   * otherwise (another service answers).
   */
  async #answerCertificateRequest(site: string, payload: Buffer): Promise<void> {
    const issuer = this.#issuer;
    const client = this.#client;
    if (!issuer || !client || !this.#files) return;
    const issued = issuer.answer(site, payload);
    if (!issued) return this.#refuse(`${TOPIC_PREFIX}/${site}/cert/request`, "not a request");
    if (issued.certificate) {
      const cert = new X509Certificate(issued.certificate);
      const record = {
        site,
        serialNumber: cert.serialNumber,
        notAfter: new Date(cert.validTo).toISOString(),
      };
      await writeFileAtomic(
        join(this.#files.siteDir(site), "certificates", `${cert.serialNumber}.pem`),
        issued.certificate,
      );
      this.#issued.push(record);
      this.deps.logger.info(record, "certificate issued");
    } else if ("error" in issued.answer) {
      this.deps.logger.warn({ site, error: issued.answer.error }, "certificate request refused");
    }
    // Not awaited: mqtt.js reads the PUBACK only after this message is acknowledged. An answer
    // lost with the connection is not lost for good: the box asks again on its next connect.
    client.publish(
      new SiteTopics(site).certificateIssued(),
      JSON.stringify(issued.answer),
      { qos: 1, properties: { contentType: "application/json" } },
      (error) => {
        if (error) this.deps.logger.warn({ err: error, site }, "certificate answer not sent");
      },
    );
  }

  summary(): CenterSummary {
    const summary = structuredClone(this.#summary);
    summary.video.incomplete = this.#video?.openTransfers() ?? 0;
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
      if (recording !== "theirs" && recording.messages === 1) this.#summary.live++;
      return;
    }
    const header = parseChunkHeader(topic.segmentId ?? 0, properties);
    if (!header || !this.#video) return this.#refuse(packet.topic, "chunk header is not valid");
    const outcome = await this.#video.chunk(topic, header, payload);
    if (outcome === "refused") return this.#refuse(packet.topic, "chunk does not fit its segment");
    if (outcome === "duplicate") this.#summary.video.duplicates++;
    else this.#summary.video.chunks++;
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
    const record: Record<string, unknown> = {
      receivedAt: new Date().toISOString(),
      topic,
      ...(id === undefined ? {} : { msgId: id }),
      payload: body,
    };
    if (parsed.family === "audit") record["verified"] = this.#verifyAudit(parsed.siteId, body);
    const retained = STATE_FAMILIES.includes(parsed.family);
    if ((await files.keep(parsed, id, record, retained)) === "duplicate") {
      site.duplicates++;
      return;
    }
    site.messages++;
    if (parsed.family === "status") site.online = body["state"] === "online";
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
