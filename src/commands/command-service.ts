import { readFile } from "node:fs/promises";
import { createPublicKey } from "node:crypto";
import type { AccessLog } from "../access/index.js";
import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { Store } from "../store/index.js";
import type { InboundMessage, UplinkLink } from "../uplink/link.js";
import { CONTENT_TYPE, encodePayload, type SiteTopics } from "../protocol/index.js";
import { authorize } from "./authorization.js";
import { CommandRefusedError } from "./errors.js";
import {
  type Authorization,
  type CommandArgs,
  type CommandName,
  COMMANDS,
  isCommandName,
  MAX_COMMAND_BYTES,
} from "./schemas.js";

export class CommandConfigError extends CamgateError {}

/** Commands carried out at the same time, at most; more are refused as busy. */
const MAX_RUNNING = 8;

export type CommandHandlers = {
  [N in CommandName]: (args: CommandArgs<N>, requestId: string) => Promise<Record<string, unknown>>;
};

export interface CommandServiceDeps {
  topics: SiteTopics;
  handlers: CommandHandlers;
  store: Pick<Store, "repos">;
  accessLog: AccessLog;
  /** The center's public key (PEM file); when set, video commands must be signed by it. */
  signingKeyFile: string | undefined;
  session: UplinkLink;
  logger: Logger;
  now?: () => number;
}

interface Decoded {
  name: CommandName;
  args: Record<string, unknown>;
}

/**
 * Carries out the center's commands (`cmd/<name>`): each payload size-capped, parsed and checked
 * against its schema; video commands authorised (validity window, nonce, signature); every
 * command, done or refused, appended to the access log; the outcome replied to the MQTT 5
 * response topic with the request's correlation data. Bad input gets an error reply, never a crash.
 */
export class CommandService implements Component {
  readonly name = "commands";
  #signingKey: string | undefined;
  #stopped = true;
  #unsubscribe: (() => void) | undefined;
  readonly #running = new Set<Promise<void>>();

  constructor(private readonly deps: CommandServiceDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    const file = this.deps.signingKeyFile;
    if (file !== undefined) {
      const pem = await readFile(file, "utf8").catch((error: unknown) => {
        throw new CommandConfigError(`cannot read uplink.commandSigningKey ${file}`, {
          cause: error,
        });
      });
      try {
        createPublicKey(pem);
      } catch (error) {
        throw new CommandConfigError(`uplink.commandSigningKey ${file} is not a public key`, {
          cause: error,
        });
      }
      this.#signingKey = pem;
    }
    signal.throwIfAborted();
    this.#stopped = false;
    this.#unsubscribe = this.deps.session.subscribe(this.deps.topics.commands(), (message) =>
      this.receive(message),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.allSettled([...this.#running]);
  }

  /** A message on `cmd/+`. */
  receive(message: InboundMessage): void {
    if (this.#stopped) return;
    const name = message.topic.slice(message.topic.lastIndexOf("/") + 1);
    const work = this.#handle(name, message).catch((error: unknown) =>
      this.deps.logger.error({ err: error, command: name }, "command handling failed"),
    );
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work));
  }

  async #handle(name: string, message: InboundMessage): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    let decoded: Decoded | undefined;
    let signed = false;
    try {
      this.#checkResponseTopic(message);
      if (this.#running.size > MAX_RUNNING)
        throw new CommandRefusedError("busy", "too many commands at once; try again");
      decoded = decode(name, message.payload);
      if (COMMANDS[decoded.name].video) {
        signed = authorize({
          site: this.deps.topics.siteId,
          command: decoded.name,
          payload: decoded.args,
          fields: decoded.args as unknown as Authorization,
          signature: message.userProperties["signature"],
          signingKey: this.#signingKey,
          nonces: this.deps.store.repos.commandNonces,
          nowMs: now,
        }).signed;
      }
      const nonce = decoded.args["nonce"];
      const requestId = typeof nonce === "string" ? nonce : String(now);
      const handler = this.deps.handlers[decoded.name] as (
        args: Record<string, unknown>,
        requestId: string,
      ) => Promise<Record<string, unknown>>;
      const result = await handler(decoded.args, requestId);
      this.#record(name, decoded, now, { result: "ok", signed });
      this.#reply(message, name, { ok: true, result });
    } catch (error) {
      const refusal = error instanceof CommandRefusedError ? error : undefined;
      const code = refusal?.code ?? "failed";
      const reason = error instanceof Error ? error.message : String(error);
      if (refusal) this.deps.logger.warn({ command: name, code, reason }, "command refused");
      else this.deps.logger.error({ command: name, err: error }, "command failed");
      this.#record(name, decoded, now, {
        result: refusal ? "refused" : "failed",
        signed,
        code,
        error: reason,
      });
      this.#reply(message, name, { ok: false, error: { code, message: reason } });
    }
  }

  /**
   * A command whose response topic the box may not publish to is refused, not carried out in
   * silence: its refusal goes to the site's `reply/_invalid` with the correlation data.
   */
  #checkResponseTopic(request: InboundMessage): void {
    const { responseTopic } = request;
    if (responseTopic === undefined || this.deps.topics.isReplyTopic(responseTopic)) return;
    throw new CommandRefusedError(
      "bad_response_topic",
      `the response topic must be ${this.deps.topics.root}/reply/<one level of [A-Za-z0-9._-]{1,128}>`,
    );
  }

  #record(
    name: string,
    decoded: Decoded | undefined,
    tsMs: number,
    outcome: { result: string; signed: boolean; code?: string; error?: string },
  ): void {
    const { requester, purpose, camera, ...args } = decoded?.args ?? {};
    const { result, ...detail } = outcome;
    this.deps.accessLog.append({
      tsMs,
      actor: typeof requester === "string" ? requester : "center",
      action: `cmd/${truncate(name, 64)}`,
      target: typeof camera === "string" ? camera : "box",
      purpose: typeof purpose === "string" ? purpose : null,
      result,
      detail: { ...args, ...detail },
    });
  }

  #reply(request: InboundMessage, command: string, body: Record<string, unknown>): void {
    const { responseTopic, correlationData } = request;
    if (responseTopic === undefined) return;
    const topic = this.deps.topics.isReplyTopic(responseTopic)
      ? responseTopic
      : this.deps.topics.invalidReplyTopic();
    this.deps.session
      .publish(topic, encodePayload("reply", { command: truncate(command, 64), ...body }), {
        qos: 1,
        contentType: CONTENT_TYPE,
        ...(correlationData ? { correlationData } : {}),
      })
      .catch((error: unknown) => {
        this.deps.logger.warn({ command, err: error }, "reply not delivered");
      });
  }
}

/** At most `max` characters, never half of a surrogate pair (the access log hashes JCS). */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : Array.from(text).slice(0, max).join("");
}

/** Untrusted bytes to a known command with valid arguments, or a refusal saying what is wrong. */
export function decode(name: string, payload: Buffer): Decoded {
  if (payload.length > MAX_COMMAND_BYTES)
    throw new CommandRefusedError("too_large", `a command is at most ${MAX_COMMAND_BYTES} bytes`);
  if (!isCommandName(name))
    throw new CommandRefusedError(
      "unknown_command",
      `unknown command ${JSON.stringify(name.slice(0, 64))}`,
    );
  let json: unknown;
  try {
    json = payload.length === 0 ? {} : JSON.parse(payload.toString("utf8"));
  } catch {
    throw new CommandRefusedError("bad_request", "the payload is not JSON");
  }
  const parsed = COMMANDS[name].schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.join(".") || "(payload)"}: ${issue.message}`)
      .join("; ");
    throw new CommandRefusedError("bad_request", problems.slice(0, 1000));
  }
  return { name, args: parsed.data };
}
