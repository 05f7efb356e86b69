import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import mqtt, { type MqttClient } from "mqtt";
import { type CleanupScope, defer } from "./temp.js";
import type { UplinkWorld } from "./uplink.js";

export interface Reply {
  schema: string;
  command: string;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** A client with the center's identity that sends commands and collects replies. */
export class CommandClient {
  readonly #waiting = new Map<string, (reply: Reply) => void>();

  private constructor(readonly client: MqttClient) {
    client.on("message", (_topic, payload, packet) => {
      const key = packet.properties?.correlationData?.toString("hex") ?? "";
      this.#waiting.get(key)?.(JSON.parse(payload.toString("utf8")) as Reply);
    });
  }

  static async connect(t: CleanupScope, world: UplinkWorld): Promise<CommandClient> {
    const client = await mqtt.connectAsync(world.broker.url, {
      protocolVersion: 5,
      clientId: `center-cmd-${randomBytes(4).toString("hex")}`,
      reconnectPeriod: 1000,
      ca: await readFile(world.pki.ca, "utf8"),
      cert: await readFile(world.centerIdentity.cert, "utf8"),
      key: await readFile(world.centerIdentity.key, "utf8"),
      rejectUnauthorized: true,
    });
    defer(t, () => client.endAsync());
    await client.subscribeAsync("camgate/v1/+/reply/#", { qos: 1 });
    return new CommandClient(client);
  }

  /** Sends `cmd/<name>` to a site and resolves with the box's reply. */
  async send(
    site: string,
    name: string,
    payload: Record<string, unknown> | Buffer,
    options: { signature?: string; timeoutMs?: number } = {},
  ): Promise<Reply> {
    const correlation = randomBytes(8);
    const key = correlation.toString("hex");
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply to ${name} within ${options.timeoutMs ?? 60_000} ms`)),
        options.timeoutMs ?? 60_000,
      );
      this.#waiting.set(key, (value) => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve(value);
      });
    });
    await this.client.publishAsync(
      `camgate/v1/${site}/cmd/${name}`,
      Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
      {
        qos: 1,
        properties: {
          responseTopic: `camgate/v1/${site}/reply/test`,
          correlationData: correlation,
          ...(options.signature ? { userProperties: { signature: options.signature } } : {}),
        },
      },
    );
    return reply;
  }
}

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
