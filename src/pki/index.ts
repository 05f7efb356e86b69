export { KeyFileError, UnsealError } from "./errors.js";
export { assertPrivateFile, SecretSealer } from "./sealer.js";
