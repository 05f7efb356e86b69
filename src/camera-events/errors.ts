import { CamgateError } from "../errors.js";

/** A camera's event service answered, but not with what the operation promises. */
export class PullPointError extends CamgateError {}
