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
      .describe(
        "The worker's identity, stable and its own: the broker keeps its session (and the " +
          "messages queued for it) by it, and the worker finishes what a killed run of it left " +
          "half-done by it. Where the broker makes the certificate's CN the client id, each " +
          "worker needs its own certificate too",
      ),
    group: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .nullable()
      .default("camgate-center")
      .describe(
        "MQTT 5 shared-subscription group: workers in one group, on one output directory, " +
          "split the boxes' messages and keep each once. null: one worker with a plain " +
          "subscription, for a broker that forgets shared subscriptions when it restarts " +
          "(mosquitto 2.0 does: what boxes send before the workers subscribe again is dropped)",
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
    issuer: z
      .strictObject({
        ca: z
          .string()
          .min(1)
          .describe("The issuing CA's certificate (PEM); boxes and the broker trust it"),
        key: z.string().min(1).describe("The issuing CA's private key (PEM, 0600)"),
        days: z
          .number()
          .int()
          .min(1)
          .max(397)
          .default(90)
          .describe("Validity of a renewed box certificate"),
      })
      .optional()
      .describe(
        "Issue renewed box certificates (cert/request -> cert/issued). Omit it when another " +
          "service answers the requests (a real CA behind a forwarder, see README)",
      ),
  })
  .describe("camgate reference center");

export type CenterConfig = z.output<typeof centerConfigSchema>;
