import { CamgateError } from "../errors.js";

export class StoreError extends CamgateError {}

/** The database file cannot be used: not SQLite, corrupt, unreadable, or on a read-only mount. */
export class StoreOpenError extends StoreError {}

/** The database was written by a newer camgate; opening it could corrupt it, so we refuse. */
export class StoreVersionError extends StoreError {}

/** A repository was used before the store was opened or after it was closed. */
export class StoreClosedError extends StoreError {}
