export { HealthPublisher } from "./health-publisher.js";
export { Outbox, type OutgoingMessage } from "./outbox.js";
export { CONTENT_TYPE, encodePayload } from "./payloads.js";
export { OutboxSender, type OutboxSenderStatus } from "./outbox-sender.js";
export { UplinkPublishers } from "./publishers.js";
export {
  readTlsMaterial,
  type TlsMaterial,
  tlsOptions,
  UplinkConfigError,
  UplinkSession,
  type UplinkSessionStatus,
} from "./session.js";
export {
  PAYLOAD_SCHEMAS,
  type ParsedTopic,
  parseTopic,
  SiteTopics,
  TOPIC_PREFIX,
  type TopicFamily,
} from "./topics.js";
export { createUplink } from "./uplink.js";
