import { CamgateError } from "../errors.js";

/** Why a command was not carried out, as the reply's `error.code`. */
export type RefusalCode =
  | "bad_response_topic"
  | "too_large"
  | "bad_request"
  | "unknown_command"
  | "unsigned"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "replayed"
  | "not_found"
  | "refused"
  | "busy"
  | "live_limit"
  | "rate_limited"
  | "unavailable";

/** A command refused for a reason the requester can act on. */
export class CommandRefusedError extends CamgateError {
  constructor(
    readonly code: RefusalCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
