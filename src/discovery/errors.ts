import { CamgateError } from "../errors.js";
import type { SoapFault } from "./faults.js";

export type OnvifErrorKind =
  "timeout" | "unreachable" | "not-authorized" | "fault" | "http" | "too-large" | "malformed";

/** One failed call to a device, classified so the CLI and the audit can say what happened. */
export class OnvifCallError extends CamgateError {
  constructor(
    readonly kind: OnvifErrorKind,
    message: string,
    options: { cause?: unknown; fault?: SoapFault; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.fault = options.fault;
    this.status = options.status;
  }

  readonly fault: SoapFault | undefined;
  readonly status: number | undefined;
}
