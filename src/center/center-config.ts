import { z } from "zod";
import { brokerUrlSchema } from "../protocol/index.js";

/** `camgate center --config FILE`: what a commune center's receiver needs. */
export const centerConfigSchema = z
  .strictObject({
    brokers: z.array(brokerUrlSchema).min(1).describe("Broker URLs tried in turn"),
    ca: z.string().min(1).describe("CA (PEM) that signed the broker and the boxes"),
    cert: z.string().min(1).describe("The center's client certificate (PEM)"),
    key: z.string().min(1).describe("The center's private key (PEM, 0600)"),
    dir: z.string().min(1).describe("Where received messages are stored"),
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default("camgate-center-1")
      .describe("Stable per worker: the broker keeps its session (and queued messages) by it"),
    group: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .nullable()
      .default("camgate-center")
      .describe(
        "Shared-subscription group; workers in one group split the boxes' messages. null: a " +
          "plain subscription, for one worker on a broker that forgets shared subscriptions " +
          "when it restarts (mosquitto 2.0 does)",
      ),
    sessionExpirySeconds: z
      .number()
      .int()
      .min(60)
      .default(7 * 24 * 3600),
    maxPayloadBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
  })
  .describe("camgate reference center");

export type CenterConfig = z.output<typeof centerConfigSchema>;
