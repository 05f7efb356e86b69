import { CamgateError } from "../errors.js";

/** Why a release was not installed; each is also an `update_refused` event. */
export type UpdateRefusal =
  | "bad_signature"
  | "downgrade"
  | "too_old"
  | "size_mismatch"
  | "hash_mismatch"
  | "bad_package"
  | "no_rollback"
  | "busy"
  | "unsigned"
  | "bad_config";

/** A release refused: nothing of it was unpacked or run. */
export class UpdateRefusedError extends CamgateError {
  constructor(
    readonly reason: UpdateRefusal,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The update key, the releases directory or a tool could not be used. */
export class UpdateSetupError extends CamgateError {}
