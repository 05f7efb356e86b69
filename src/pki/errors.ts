import { CamgateError } from "../errors.js";

/** A key file is missing, malformed, or readable by others than its owner. */
export class KeyFileError extends CamgateError {}

/** A sealed secret could not be opened: wrong key, wrong context, or tampered ciphertext. */
export class UnsealError extends CamgateError {}

/** The CA, certificate or key of a TLS connection is missing or unreadable. */
export class TlsMaterialError extends CamgateError {}
