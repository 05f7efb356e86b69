export {
  BrokerBusyError,
  type InboundMessage,
  LinkDownError,
  type MessageHandler,
  PublishRefusedError,
  type PublishOptions,
  type UplinkLink,
} from "./link.js";
export { checkBrokerAccepts } from "./broker-check.js";
export { HealthPublisher } from "./health-publisher.js";
export { Outbox, type OutgoingMessage } from "./outbox.js";
export { OutboxSender, type OutboxSenderStatus } from "./outbox-sender.js";
export { UplinkPublishers } from "./publishers.js";
export { statusBody } from "./bodies.js";
export { type SessionMessage, UplinkSession, type UplinkSessionStatus } from "./session.js";
export { TokenBucket } from "./token-bucket.js";
export { type ForwardMode, VideoForwarder, type VideoForwarderStatus } from "./video-forwarder.js";
