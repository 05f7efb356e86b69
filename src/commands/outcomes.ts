import { createHash } from "node:crypto";
import type { CommandNonceRepository, NonceClaim, ReplyBounds } from "../store/index.js";
import { canonicalJson } from "../protocol/index.js";
import type { RefusalCode } from "./errors.js";

/** What a reply says after `command`: the outcome, kept for a command sent again. */
export type ReplyBody =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; error: { code: RefusalCode | "failed"; message: string } };

/** Replies kept for repeats: each at most 256 KiB deflated, all together at most 8 MiB. */
export const REPLY_BOUNDS: ReplyBounds = {
  maxReplyBytes: 256 * 1024,
  maxTotalBytes: 8 * 1024 * 1024,
};

/** Refused for a passing reason, the command did nothing: its nonce may come again. */
const PASSING: ReadonlySet<string> = new Set(["busy", "rate_limited", "unavailable", "live_limit"]);

/**
 * The nonce side of authorize(): it is asked only once the window and the signature passed, so
 * being asked means the command is authentic. Same nonce and same command (name and arguments)
 * is a repeat, not a replay.
 */
export class NonceGate {
  /** authorize() got as far as the nonce: the command passed every other check. */
  reached = false;
  outcome: NonceClaim | undefined;

  constructor(
    private readonly nonces: Pick<CommandNonceRepository, "claimFor">,
    private readonly digest: string,
  ) {}

  claim(nonce: string, expiresMs: number, nowMs: number): boolean {
    this.reached = true;
    this.outcome = this.nonces.claimFor(nonce, this.digest, expiresMs, nowMs);
    return this.outcome.kind !== "reused";
  }
}

export interface CommandOutcomesDeps {
  nonces: () => Pick<CommandNonceRepository, "claimFor" | "settle" | "release" | "forgetReplies">;
  /** Over the database's budget, outcomes are not kept (and those kept are forgotten). */
  overBudget: () => boolean;
  now: () => number;
}

/**
 * The outcome of each video command, by nonce: kept in the store once known (within
 * REPLY_BOUNDS and the database budget), and in memory while the command runs, so that the same
 * command sent again gets the same reply and is not carried out twice.
 */
export class CommandOutcomes {
  readonly #inProgress = new Map<string, Promise<ReplyBody>>();

  constructor(private readonly deps: CommandOutcomesDeps) {}

  gate(command: string, args: Record<string, unknown>): NonceGate {
    const digest = createHash("sha256").update(canonicalJson({ command, args })).digest("hex");
    return new NonceGate(this.deps.nonces(), digest);
  }

  /** The command with this nonce runs; its reply is `body` once settled. */
  running(nonce: string, body: Promise<ReplyBody>): void {
    this.#inProgress.set(nonce, body);
    void body.finally(() => {
      if (this.#inProgress.get(nonce) === body) this.#inProgress.delete(nonce);
    });
  }

  /** The first reply to a repeated command, or undefined when it was not kept. */
  async previous(
    nonce: string,
    claim: NonceClaim & { kind: "repeat" },
  ): Promise<ReplyBody | undefined> {
    if (claim.reply !== null) return JSON.parse(claim.reply) as ReplyBody;
    return this.#inProgress.get(nonce);
  }

  /** Keeps the outcome for repeats, or frees the nonce when the command did nothing for now. */
  settle(nonce: string, body: ReplyBody): void {
    const nonces = this.deps.nonces();
    if (!body.ok && PASSING.has(body.error.code)) {
      nonces.release(nonce);
      return;
    }
    const over = this.deps.overBudget();
    if (over) nonces.forgetReplies();
    nonces.settle(nonce, over ? null : JSON.stringify(body), REPLY_BOUNDS, this.deps.now());
  }
}
