import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import mqtt, { type MqttClient } from "mqtt";
import { CamgateError } from "../errors.js";
import { signCommand } from "../protocol/index.js";

/** A box's answer to a command, as sent on the reply topic. */
export interface CommandReply {
  schema: string;
  command: string;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export class CommandTimeoutError extends CamgateError {}

/**
 * The center's side of commands: publishes `cmd/<name>` to a site with a response topic and
 * correlation data, and resolves with the box's reply. Connects with the center's identity.
 */
export class CommandClient {
  readonly #waiting = new Map<string, (reply: CommandReply) => void>();

  private constructor(readonly client: MqttClient) {
    client.on("message", (_topic, payload, packet) => {
      const key = packet.properties?.correlationData?.toString("hex") ?? "";
      const settle = this.#waiting.get(key);
      if (!settle) return;
      try {
        settle(JSON.parse(payload.toString("utf8")) as CommandReply);
      } catch {
        // not a reply this client can read; the send times out and says so
      }
    });
  }

  static async connect(options: {
    url: string;
    ca: string;
    cert: string;
    key: string;
  }): Promise<CommandClient> {
    const [ca, cert, key] = await Promise.all(
      [options.ca, options.cert, options.key].map((file) => readFile(file, "utf8")),
    );
    const client = await mqtt.connectAsync(options.url, {
      protocolVersion: 5,
      clientId: `center-cmd-${randomBytes(4).toString("hex")}`,
      reconnectPeriod: 1000,
      ...{ ca, cert, key },
      rejectUnauthorized: true,
    });
    await client.subscribeAsync("camgate/v1/+/reply/#", { qos: 1 });
    return new CommandClient(client);
  }

  /**
   * Sends `cmd/<name>` to a site and resolves with its reply. `signingKey` (the center's private
   * key, PEM) signs the command for this site and name; `signature` sends one made elsewhere.
   */
  async send(
    site: string,
    name: string,
    payload: Record<string, unknown> | Buffer,
    options: {
      signature?: string;
      signingKey?: string;
      timeoutMs?: number;
      /** Default `camgate/v1/<site>/reply/center`. */
      responseTopic?: string;
    } = {},
  ): Promise<CommandReply> {
    const signature =
      options.signingKey !== undefined && !Buffer.isBuffer(payload)
        ? signCommand(site, name, payload, options.signingKey)
        : options.signature;
    const correlation = randomBytes(8);
    const key = correlation.toString("hex");
    const timeoutMs = options.timeoutMs ?? 60_000;
    const reply = new Promise<CommandReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        reject(new CommandTimeoutError(`no reply to ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(key, (value) => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve(value);
      });
    });
    // The timeout runs from now, also while the publish waits for a broker that is away.
    const published = this.client.publishAsync(
      `camgate/v1/${site}/cmd/${name}`,
      Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
      {
        qos: 1,
        properties: {
          responseTopic: options.responseTopic ?? `camgate/v1/${site}/reply/center`,
          correlationData: correlation,
          ...(signature ? { userProperties: { signature } } : {}),
        },
      },
    );
    return Promise.race([published.then(() => reply), reply]);
  }

  /** Ends at once: a command still waiting for a broker that is away is dropped, not awaited. */
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
