import { randomBytes } from "node:crypto";
import { CommandClient as CenterCommandClient, type CommandReply } from "../../src/center/index.js";
import { type CleanupScope, defer } from "./temp.js";
import type { UplinkWorld } from "./uplink.js";

export type Reply = CommandReply;

/** The center's command client, connected with the world's command identity for one test. */
export const CommandClient = {
  async connect(t: CleanupScope, world: UplinkWorld): Promise<CenterCommandClient> {
    const client = await CenterCommandClient.connect({
      url: world.broker.url,
      ca: world.pki.ca,
      ...world.commandsIdentity,
    });
    defer(t, () => client.close());
    return client;
  },
};

/** The authorization fields of a video command, valid for an hour from now. */
export function authorization(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    requester: "officer-17@commune-center",
    purpose: "incident 2026-1123 review",
    issuedAt: new Date(now - 1000).toISOString(),
    expiresAt: new Date(now + 3600_000).toISOString(),
    nonce: randomBytes(12).toString("hex"),
    ...overrides,
  };
}
