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
  type ParsedMediaTopic,
  type ParsedTopic,
  parseMediaTopic,
  parseTopic,
  SiteTopics,
  TOPIC_PREFIX,
  type TopicFamily,
} from "./topics.js";
export { TokenBucket } from "./token-bucket.js";
export { createUplink, type Uplink } from "./uplink.js";
export {
  type ForwardMode,
  VIDEO_CONTENT_TYPE,
  VideoForwarder,
  type VideoForwarderStatus,
} from "./video-forwarder.js";
