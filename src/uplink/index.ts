export { HealthPublisher } from "./health-publisher.js";
export { Outbox, type OutgoingMessage } from "./outbox.js";
export { OutboxSender, type OutboxSenderStatus } from "./outbox-sender.js";
export { UplinkPublishers } from "./publishers.js";
export { UplinkSession, type UplinkSessionStatus } from "./session.js";
export { TokenBucket } from "./token-bucket.js";
export { createUplink, type Uplink } from "./uplink.js";
export { type ForwardMode, VideoForwarder, type VideoForwarderStatus } from "./video-forwarder.js";
