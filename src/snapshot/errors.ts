import { CamgateError } from "../errors.js";

/** No picture from a camera, by its snapshot address or from its stream; the message says why. */
export class CameraSnapshotError extends CamgateError {}
