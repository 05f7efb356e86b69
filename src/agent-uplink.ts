import { readFileSync } from "node:fs";
import type { AccessLog } from "./access/index.js";
import { CommandService, commandHandlers, MAX_COMMAND_BYTES } from "./commands/index.js";
import type { AgentEvents } from "./agent-events.js";
import { SnapshotForwarder } from "./uplink/snapshot-forwarder.js";
import type { Config } from "./config/index.js";
import type { EventLog } from "./events/index.js";
import { HealthSampler, softwareStatus } from "./health/index.js";
import type { Component, EventBus } from "./lifecycle/index.js";
import { LiveStreams } from "./live/index.js";
import type { Logger } from "./log/index.js";
import {
  CertificateRenewal,
  type CrashPoint,
  IdentityFiles,
  renewRequestFile,
} from "./cert-renewal/index.js";
import { CertificateWatch, summarize } from "./pki/index.js";
import type { RecorderService } from "./recorder/index.js";
import { type Store, StoreBudget } from "./store/index.js";
import { packageVersion } from "./version.js";
import { updateLayout, Updater } from "./update/index.js";
import { CONTENT_TYPE, encodePayload, SiteTopics } from "./protocol/index.js";
import {
  type ForwardMode,
  HealthPublisher,
  Outbox,
  OutboxSender,
  type SessionMessage,
  statusBody,
  TokenBucket,
  UplinkPublishers,
  UplinkSession,
  type UplinkSessionStatus,
  VideoForwarder,
} from "./uplink/index.js";

export interface UplinkDeps {
  config: Config;
  store: Store;
  bus: EventBus<AgentEvents>;
  events: EventLog;
  accessLog: AccessLog;
  logger: Logger;
  /** Figures of the other components for health (recorder, retention). */
  figures: () => Record<string, unknown>;
  /** The parts commands act on; undefined where disabled. */
  recorder: Pick<RecorderService, "liveSource"> | undefined;
  discovery: { runOnce(): Promise<unknown> } | undefined;
  audit: { runNow(cameraId?: string): Promise<unknown> } | undefined;
  startedMs?: number;
  /** Where event snapshots wait (events.snapshot); undefined: none are sent. */
  snapshotSpool?: string | undefined;
  /** The CSR's serialNumber (the machine id). */
  boxSerial: () => Promise<string>;
  /** Tests only: the renewal step at which the box kills itself (TEST_CAMGATE_CRASH_AT). */
  crashAt?: CrashPoint | undefined;
  /** The config file the agent runs with: config.apply replaces it. */
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * The largest message the box takes from the broker: a command and its properties (signature,
 * response topic, correlation data). The broker drops larger ones before they cost us memory.
 */
const MAX_INCOMING_BYTES = MAX_COMMAND_BYTES + 16 * 1024;

function statusMessage(topics: SiteTopics, body: Parameters<typeof statusBody>[0]): SessionMessage {
  return {
    topic: topics.box("status"),
    payload: encodePayload("status", statusBody(body)),
    options: { qos: 1, retain: true, contentType: CONTENT_TYPE },
  };
}

export interface Uplink {
  /** In start order: outbox sender, publishers, video forwarder, command service, the session
   * (once everything it feeds is ready), live views, health. */
  components: Component[];
  status: () => UplinkSessionStatus;
}

/** A camera's forwarding mode: its override, else the default (read at each use: SIGHUP). */
export function forwardModeOf(config: Config, cameraId: string): ForwardMode {
  return config.recorder.cameras[cameraId]?.forward ?? config.recorder.forward;
}

/** The uplink's parts, wired: the composition root's share that talks to the center. */
export function createUplink(deps: UplinkDeps): Uplink {
  const { config, store, bus, events, logger } = deps;
  const topics = new SiteTopics(config.site.id);
  const readCertificate = () =>
    config.uplink.cert ? readFileSync(config.uplink.cert, "utf8") : undefined;
  const outbox = new Outbox(store, config.uplink, bus);
  const bucket =
    config.uplink.maxBitsPerSecond === undefined
      ? undefined
      : new TokenBucket(config.uplink.maxBitsPerSecond, config.uplink.chunkBytes);
  const identity = {
    siteId: config.site.id,
    version: packageVersion(),
    startedMs: deps.startedMs ?? Date.now(),
  };
  const session: UplinkSession = new UplinkSession({
    config: config.uplink,
    // The certificate's CN: the broker makes it the client id, one certificate one session.
    clientId: config.site.id,
    will: (when) =>
      statusMessage(topics, { ...identity, state: "offline", lastWill: when === "connect" }),
    birth: (): SessionMessage => {
      const pem: string | undefined = session.connectedCertificate;
      const certificate = pem === undefined ? undefined : summarize(pem);
      return statusMessage(topics, {
        ...identity,
        state: "online",
        ...(certificate
          ? {
              certificate: {
                serialNumber: certificate.serialNumber,
                notAfter: certificate.notAfter,
                fingerprintSha256: certificate.fingerprintSha256,
              },
            }
          : {}),
      });
    },
    maxIncomingBytes: MAX_INCOMING_BYTES,
    bus,
    logger: logger.child({ part: "session" }),
  });
  const sender = new OutboxSender({
    store,
    session,
    bus,
    bucket,
    logger: logger.child({ part: "outbox" }),
  });
  const publishers = new UplinkPublishers({
    store,
    outbox,
    topics,
    bus,
    events,
    recording: config.recorder.enabled,
    certificate: () => readCertificate(),
    logger: logger.child({ part: "publishers" }),
  });
  const forwardMode = (cameraId: string): ForwardMode => forwardModeOf(config, cameraId);
  const video = new VideoForwarder({
    store,
    session,
    sender,
    bus,
    events,
    topics,
    chunkBytes: config.uplink.chunkBytes,
    bucket,
    forwardMode,
    freshMs: 2 * config.storage.segmentSeconds * 1000,
    logger: logger.child({ part: "video" }),
  });
  const snapshots = deps.snapshotSpool
    ? new SnapshotForwarder({
        spoolDir: deps.snapshotSpool,
        session,
        sender,
        bus,
        topics,
        chunkBytes: config.uplink.chunkBytes,
        bucket,
        logger: logger.child({ part: "snapshots" }),
      })
    : undefined;
  const recorder = deps.recorder;
  const live = recorder
    ? new LiveStreams({
        source: (cameraId) => recorder.liveSource(cameraId),
        session,
        topics,
        bucket,
        connectTimeoutMs: config.recorder.connectTimeout,
        maxSessions: config.uplink.maxLiveSessions,
        logger: logger.child({ part: "live" }),
      })
    : undefined;
  const certificate = new CertificateWatch(
    () => readCertificate() ?? "",
    (health) =>
      events.record("certificate_expiring", null, {
        notAfter: health.notAfter,
        daysLeft: health.daysLeft,
      }),
  );
  const renewal =
    config.uplink.key && config.uplink.cert && config.uplink.ca
      ? new CertificateRenewal({
          files: new IdentityFiles(config.uplink.key, config.uplink.cert),
          caFile: config.uplink.ca,
          topics,
          session,
          bus,
          events,
          renewBeforeMs: config.pki.renewBefore,
          confirmTimeoutMs: config.pki.renewConfirmTimeout,
          requestFile: renewRequestFile(config.uplink.key),
          boxSerial: deps.boxSerial,
          crashAt: deps.crashAt,
          logger: logger.child({ part: "cert-renewal" }),
        })
      : undefined;
  const budget = new StoreBudget(store, config.store.maxBytes);
  const figures = () => ({
    ...deps.figures(),
    store: budget.usage(),
    uplink: session.status(),
    outbox: sender.status(),
    video: video.status(),
    certificate: certificate.health(),
    software: softwareStatus(updateLayout(config).stateFile),
    ...(renewal ? { renewal: renewal.status() } : {}),
  });
  const updater = createUpdater(deps, session, topics, bucket, () => {
    const recorder = deps.figures()["recorder"] as { cameras: number; running: number } | undefined;
    return session.connected && (recorder === undefined || recorder.running === recorder.cameras);
  });
  const commands = new CommandService({
    topics,
    store,
    accessLog: deps.accessLog,
    signingKeyFile: config.uplink.commandSigningKey,
    session,
    outbox,
    overBudget: () => budget.over(),
    handlers: commandHandlers({
      store,
      bus,
      storage: config.storage,
      live,
      discovery: deps.discovery,
      audit: deps.audit,
      renewal,
      update: updater,
      status: () => ({ ...figures(), live: live?.sessions() ?? [] }),
    }),
    logger: logger.child({ part: "commands" }),
  });
  const health = new HealthPublisher({
    sampler: new HealthSampler(config.storage.dir),
    figures,
    outbox,
    topics,
    isConnected: () => session.connected,
    periodMs: config.uplink.healthSeconds * 1000,
    onTick: () => certificate.check(),
    logger: logger.child({ part: "health" }),
  });
  return {
    // The renewal finishes a swap a crash cut short before the session reads the key.
    components: [
      sender,
      publishers,
      video,
      ...(snapshots ? [snapshots] : []),
      commands,
      ...(renewal ? [renewal] : []),
      session,
      ...(live ? [live] : []),
      health,
      ...(updater ? [updater] : []),
    ],
    status: () => session.status(),
  };
}

/** How long the box waits for a release chunk before asking for it again. */
const UPDATE_REPLY_TIMEOUT_MS = 10_000;

/** Signed updates, when an update key is configured. */
function createUpdater(
  deps: UplinkDeps,
  session: UplinkSession,
  topics: SiteTopics,
  bucket: TokenBucket | undefined,
  healthy: () => boolean,
): Updater | undefined {
  const { config } = deps;
  if (config.update.publicKey === undefined) return undefined;
  return new Updater({
    layout: updateLayout(config),
    publicKeyFile: config.update.publicKey,
    running: packageVersion(),
    download: { link: session, topics, bucket, replyTimeoutMs: UPDATE_REPLY_TIMEOUT_MS },
    healthy,
    configFile: deps.configFile,
    commandsSigned: config.uplink.commandSigningKey !== undefined,
    site: config.site.id,
    env: deps.env ?? process.env,
    // A clean stop; systemd (Restart=always) starts the agent again, on the new release.
    restart: () => process.kill(process.pid, "SIGTERM"),
    events: deps.events,
    logger: deps.logger.child({ part: "update" }),
  });
}
