import { CamgateError } from "../errors.js";

export class ComponentStartError extends CamgateError {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super(`${component} failed to start: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export class ComponentStopError extends CamgateError {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super(`${component} failed to stop: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export class StopTimeoutError extends CamgateError {
  constructor(
    readonly component: string,
    readonly timeoutMs: number,
  ) {
    super(`${component} did not stop within ${timeoutMs} ms`);
  }
}
