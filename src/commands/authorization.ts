import { verifyCommand } from "../protocol/index.js";
import type { CommandNonceRepository } from "../store/index.js";
import { CommandRefusedError } from "./errors.js";
import { type Authorization, MAX_VALIDITY_MS } from "./schemas.js";

/** How far a command's `issuedAt` may be ahead of the box's clock. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface AuthorizationCheck {
  /** This box's site id and the command's name: the signature covers them with the payload. */
  site: string;
  command: string;
  /** The parsed command as received (the signature covers its canonical JSON). */
  payload: unknown;
  fields: Authorization;
  /** The detached signature (MQTT 5 user property `signature`, base64), if any. */
  signature: string | undefined;
  /** The center's public key (PEM); when set, a video command must be signed by it. */
  signingKey: string | undefined;
  nonces: Pick<CommandNonceRepository, "claim">;
  nowMs: number;
}

/**
 * Checks a video command's validity window, signature and nonce, in that order: the nonce is
 * claimed last, so a forged or stale command cannot use up a genuine command's nonce. The
 * signature covers the site and the command's name with its payload (`commandSigningInput`):
 * a command signed for one site or one command is refused at another (`bad_signature`).
 */
export function authorize(check: AuthorizationCheck): { signed: boolean } {
  const { fields, nowMs } = check;
  const issuedMs = Date.parse(fields.issuedAt);
  const expiresMs = Date.parse(fields.expiresAt);
  if (expiresMs <= issuedMs || expiresMs - issuedMs > MAX_VALIDITY_MS)
    throw new CommandRefusedError("bad_request", "the validity window must be (0, 24 h]");
  if (expiresMs <= nowMs)
    throw new CommandRefusedError("expired", `the command expired at ${fields.expiresAt}`);
  if (issuedMs > nowMs + CLOCK_SKEW_MS)
    throw new CommandRefusedError("not_yet_valid", `the command is issued at ${fields.issuedAt}`);
  let signed = false;
  if (check.signingKey !== undefined) {
    if (check.signature === undefined)
      throw new CommandRefusedError("unsigned", "video commands must be signed by the center");
    if (!verifyCommand(check.site, check.command, check.payload, check.signature, check.signingKey))
      throw new CommandRefusedError(
        "bad_signature",
        "the signature does not match this command (site, name and payload)",
      );
    signed = true;
  }
  if (!check.nonces.claim(fields.nonce, expiresMs, nowMs))
    throw new CommandRefusedError("replayed", "this nonce was already used");
  return { signed };
}
