import { readFileSync } from "node:fs";
import type { AgentEvents } from "../agent-events.js";
import type { Config } from "../config/index.js";
import type { EventLog } from "../events/index.js";
import { HealthSampler } from "../health/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { CertificateWatch } from "../pki/index.js";
import type { Store } from "../store/index.js";
import { packageVersion } from "../version.js";
import { HealthPublisher } from "./health-publisher.js";
import { Outbox } from "./outbox.js";
import { OutboxSender } from "./outbox-sender.js";
import { CONTENT_TYPE, encodePayload, statusBody } from "./payloads.js";
import { UplinkPublishers } from "./publishers.js";
import { type SessionMessage, UplinkSession } from "./session.js";
import { SiteTopics } from "./topics.js";

export interface UplinkDeps {
  config: Config;
  store: Store;
  bus: EventBus<AgentEvents>;
  events: EventLog;
  logger: Logger;
  /** Figures of the other components for health (recorder, retention). */
  figures: () => Record<string, unknown>;
  startedMs?: number;
}

function statusMessage(topics: SiteTopics, body: Parameters<typeof statusBody>[0]): SessionMessage {
  return {
    topic: topics.box("status"),
    payload: encodePayload("status", statusBody(body)),
    options: { qos: 1, retain: true, properties: { contentType: CONTENT_TYPE } },
  };
}

/** The uplink's parts, wired: session, outbox sender, publishers and health, in start order. */
export function createUplink(deps: UplinkDeps): Component[] {
  const { config, store, bus, events, logger } = deps;
  const topics = new SiteTopics(config.site.id);
  const readCertificate = () =>
    config.uplink.cert ? readFileSync(config.uplink.cert, "utf8") : undefined;
  const outbox = new Outbox(store, config.uplink, bus);
  const identity = {
    siteId: config.site.id,
    version: packageVersion(),
    startedMs: deps.startedMs ?? Date.now(),
  };
  const session = new UplinkSession({
    config: config.uplink,
    clientId: `camgate-${config.site.id}`,
    will: statusMessage(topics, { ...identity, state: "offline" }),
    birth: () => statusMessage(topics, { ...identity, state: "online" }),
    bus,
    logger: logger.child({ part: "session" }),
  });
  const sender = new OutboxSender({
    store,
    session,
    bus,
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
  const certificate = new CertificateWatch(
    () => readCertificate() ?? "",
    (health) =>
      events.record("certificate_expiring", null, {
        notAfter: health.notAfter,
        daysLeft: health.daysLeft,
      }),
  );
  const health = new HealthPublisher({
    sampler: new HealthSampler(config.storage.dir),
    figures: () => ({
      ...deps.figures(),
      uplink: session.status(),
      outbox: sender.status(),
      certificate: certificate.health(),
    }),
    outbox,
    topics,
    isConnected: () => session.connected,
    periodMs: config.uplink.healthSeconds * 1000,
    onTick: () => certificate.check(),
    logger: logger.child({ part: "health" }),
  });
  return [sender, publishers, session, health];
}
