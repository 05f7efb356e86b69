import type { TopicFamily } from "../protocol/index.js";
import { OutboxPriority } from "../store/index.js";

const PRIORITY: Record<TopicFamily, number> = {
  status: OutboxPriority.status,
  events: OutboxPriority.event,
  info: OutboxPriority.inventory,
  state: OutboxPriority.inventory,
  audit: OutboxPriority.audit,
  health: OutboxPriority.health,
  segments: OutboxPriority.segmentIndex,
  access: OutboxPriority.event,
  reply: OutboxPriority.reply,
  // Sent directly by the certificate renewal, not through the outbox.
  certRequest: OutboxPriority.event,
};

/** The outbox's order: the lower, the sooner a message of this family goes. */
export function priorityOf(family: TopicFamily): number {
  return PRIORITY[family];
}
