import { readFile } from "node:fs/promises";
import { createPublicKey } from "node:crypto";
import type { AccessLog } from "../access/index.js";
import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import type { NonceClaim, Store } from "../store/index.js";
import type { InboundMessage, UplinkLink } from "../uplink/link.js";
import type { Outbox } from "../uplink/outbox.js";
import type { SiteTopics } from "../protocol/index.js";
import { authorize } from "./authorization.js";
import { CommandRefusedError } from "./errors.js";
import { CommandOutcomes, type ReplyBody } from "./outcomes.js";
import { RefusalTally } from "./refusal-tally.js";
import {
  type Authorization,
  type CommandArgs,
  type CommandName,
  COMMANDS,
  isCommandName,
  MAX_COMMAND_BYTES,
  needsAuthorization,
} from "./schemas.js";

export class CommandConfigError extends CamgateError {}

/** Commands carried out at the same time, at most; more are refused as busy. */
export const MAX_RUNNING = 8;
/** How long a reply is worth sending, for a command that does not say how long it stands. */
const REPLY_TTL_MS = 15 * 60_000;
/** A video command's reply is worth sending at least this long, however soon the command expires. */
const MIN_REPLY_TTL_MS = 60_000;

export type CommandHandlers = {
  [N in CommandName]: (args: CommandArgs<N>, requestId: string) => Promise<Record<string, unknown>>;
};

export interface CommandServiceDeps {
  topics: SiteTopics;
  handlers: CommandHandlers;
  store: Pick<Store, "repos">;
  accessLog: Pick<AccessLog, "append">;
  /** The center's public key (PEM file); when set, video commands must be signed by it. */
  signingKeyFile: string | undefined;
  /** Where commands come from. */
  session: Pick<UplinkLink, "subscribe">;
  /** Where replies go: durably, so a reply the link lost is sent again. */
  outbox: Pick<Outbox, "put">;
  /** The database is over its budget (store.maxBytes): what junk costs gives way. */
  overBudget: () => boolean;
  logger: Logger;
  now?: () => number;
}

interface Decoded {
  name: CommandName;
  args: Record<string, unknown>;
}

/** A command as it goes through the service. */
interface Request {
  name: string;
  message: InboundMessage;
  nowMs: number;
  decoded?: Decoded;
  /** Shown to come from the center (signed when a key is set), or a well-formed plain command. */
  authentic: boolean;
  signed: boolean;
  /** A video command's nonce and what the store said of it. */
  nonce?: { value: string; claim: NonceClaim; expiresMs: number };
}

/**
 * Carries out the center's commands (`cmd/<name>`): each payload size-capped, parsed and checked
 * against its schema; video commands authorised (validity window, signature, nonce); every
 * command, done or refused, appended to the access log; the outcome replied to the MQTT 5
 * response topic with the request's correlation data, through the outbox. Bad input gets an
 * error reply, never a crash; junk beyond a rate is only counted (RefusalTally). A video
 * command sent again with its nonce gets its first reply and is not carried out twice.
 */
export class CommandService implements Component {
  readonly name = "commands";
  #signingKey: string | undefined;
  #stopped = true;
  #unsubscribe: (() => void) | undefined;
  readonly #running = new Set<Promise<void>>();
  readonly #tally: RefusalTally;
  readonly #outcomes: CommandOutcomes;

  constructor(private readonly deps: CommandServiceDeps) {
    this.#tally = new RefusalTally({
      append: (entry) => deps.accessLog.append(entry),
      overBudget: deps.overBudget,
      logger: deps.logger,
      now: () => this.#now(),
    });
    this.#outcomes = new CommandOutcomes({
      nonces: () => deps.store.repos.commandNonces,
      overBudget: deps.overBudget,
      now: () => this.#now(),
    });
  }

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
    this.#tally.start();
    this.#unsubscribe = this.deps.session.subscribe(this.deps.topics.commands(), (message) =>
      this.receive(message),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.allSettled([...this.#running]);
    this.#tally.stop();
  }

  /** A message on `cmd/+`: checked at once, then carried out (at most MAX_RUNNING at a time). */
  receive(message: InboundMessage): void {
    if (this.#stopped) return;
    const name = message.topic.slice(message.topic.lastIndexOf("/") + 1);
    const request: Request = { name, message, nowMs: this.#now(), authentic: false, signed: false };
    try {
      this.#admit(request);
    } catch (error) {
      this.#refused(request, error);
      return;
    }
    const work = this.#carryOut(request).catch((error: unknown) =>
      this.deps.logger.error({ err: error, command: name }, "command handling failed"),
    );
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work));
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Decodes and authorises, or throws the refusal; `request` says how far it got. */
  #admit(request: Request): void {
    this.#checkResponseTopic(request.message);
    const decoded = decode(request.name, request.message.payload);
    request.decoded = decoded;
    if (this.#running.size >= MAX_RUNNING)
      throw new CommandRefusedError("busy", "too many commands at once; try again");
    if (!needsAuthorization(decoded.name)) {
      request.authentic = true;
      return;
    }
    const fields = decoded.args as unknown as Authorization;
    const gate = this.#outcomes.gate(decoded.name, decoded.args);
    try {
      request.signed = authorize({
        site: this.deps.topics.siteId,
        command: decoded.name,
        payload: decoded.args,
        fields,
        signature: request.message.userProperties["signature"],
        signingKey: this.#signingKey,
        nonces: gate,
        nowMs: request.nowMs,
      }).signed;
    } finally {
      request.authentic = gate.reached;
    }
    if (gate.outcome)
      request.nonce = {
        value: fields.nonce,
        claim: gate.outcome,
        expiresMs: Date.parse(fields.expiresAt),
      };
  }

  async #carryOut(request: Request): Promise<void> {
    const { nonce } = request;
    if (nonce?.claim.kind === "repeat") {
      await this.#repeat(request, nonce.value, nonce.claim);
      return;
    }
    let settle: (body: ReplyBody) => void = () => undefined;
    if (nonce) this.#outcomes.running(nonce.value, new Promise((resolve) => (settle = resolve)));
    const body = await this.#run(request);
    if (nonce) {
      try {
        this.#outcomes.settle(nonce.value, body);
      } catch (error) {
        this.deps.logger.error({ err: error, command: request.name }, "could not keep the outcome");
      }
    }
    settle(body);
    this.#record(request, body.ok ? { result: "ok" } : refusalOutcome(body.error));
    this.#reply(request, body);
  }

  /** The handler's outcome as a reply body; a refusal or failure is logged here. */
  async #run(request: Request): Promise<ReplyBody> {
    const decoded = request.decoded as Decoded;
    const nonce = decoded.args["nonce"];
    const requestId = typeof nonce === "string" ? nonce : String(request.nowMs);
    const handler = this.deps.handlers[decoded.name] as (
      args: Record<string, unknown>,
      requestId: string,
    ) => Promise<Record<string, unknown>>;
    try {
      return { ok: true, result: await handler(decoded.args, requestId) };
    } catch (error) {
      const reason = describe(error);
      this.#log(request.name, reason, error);
      return { ok: false, error: reason };
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

  /** The same command again: its first reply, without carrying it out again. */
  async #repeat(
    request: Request,
    nonce: string,
    claim: NonceClaim & { kind: "repeat" },
  ): Promise<void> {
    const first = await this.#outcomes.previous(nonce, claim);
    if (!first) {
      this.#refused(
        request,
        new CommandRefusedError(
          "replayed",
          "this command was carried out before and its outcome was not kept; send it with a new nonce",
        ),
      );
      return;
    }
    this.#record(request, {
      result: "repeated",
      first: first.ok ? "ok" : first.error.code,
    });
    this.#reply(request, first);
  }

  /** A command refused before it ran: answered and logged on its own, or counted. */
  #refused(request: Request, error: unknown): void {
    const reason = describe(error);
    if (!request.authentic && !this.#tally.admit(reason.code)) return;
    this.#log(request.name, reason, error);
    this.#record(request, refusalOutcome(reason));
    this.#reply(request, { ok: false, error: reason });
  }

  #log(command: string, reason: FailureBody, error: unknown): void {
    if (reason.code === "failed") this.deps.logger.error({ command, err: error }, "command failed");
    else
      this.deps.logger.warn(
        { command, code: reason.code, reason: reason.message },
        "command refused",
      );
  }

  #record(request: Request, outcome: { result: string } & Record<string, unknown>): void {
    const { requester, purpose, camera, ...args } = request.decoded?.args ?? {};
    const { result, ...detail } = outcome;
    this.deps.accessLog.append({
      tsMs: request.nowMs,
      actor: typeof requester === "string" ? requester : "center",
      action: `cmd/${truncate(request.name, 64)}`,
      target: typeof camera === "string" ? camera : "box",
      purpose: typeof purpose === "string" ? purpose : null,
      result,
      detail: { ...args, signed: request.signed, ...detail },
    });
  }

  #reply(request: Request, body: ReplyBody): void {
    const { responseTopic, correlationData } = request.message;
    const command = request.name;
    if (responseTopic === undefined) return;
    // A response topic the box may not publish to gets the refusal on the site's reply/_invalid.
    const topic = this.deps.topics.isReplyTopic(responseTopic)
      ? responseTopic
      : this.deps.topics.invalidReplyTopic();
    // A reply goes through the outbox: a link that drops before the PUBACK does not lose it.
    const ttlMs = request.nonce
      ? Math.max(MIN_REPLY_TTL_MS, request.nonce.expiresMs - request.nowMs)
      : REPLY_TTL_MS;
    try {
      this.deps.outbox.put([
        {
          topic,
          family: "reply",
          body: { command: truncate(command, 64), ...body },
          ttlMs,
          ...(correlationData ? { correlationData } : {}),
        },
      ]);
    } catch (error) {
      this.deps.logger.error({ command, err: error }, "reply not queued");
    }
  }
}

type FailureBody = Extract<ReplyBody, { ok: false }>["error"];

function describe(error: unknown): FailureBody {
  return {
    code: error instanceof CommandRefusedError ? error.code : "failed",
    message: error instanceof Error ? error.message : String(error),
  };
}

function refusalOutcome(error: FailureBody): {
  result: string;
  code: string;
  error: string;
} {
  return {
    result: error.code === "failed" ? "failed" : "refused",
    code: error.code,
    error: error.message,
  };
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
