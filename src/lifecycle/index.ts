export type { Component } from "./component.js";
export { ComponentGroup, type StopReport } from "./component-group.js";
export { ComponentStartError, ComponentStopError, StopTimeoutError } from "./errors.js";
export { EventBus } from "./event-bus.js";
export { type Runnable, runUntilSignal } from "./run-until-signal.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { WakeUp } from "./wake-up.js";
export { eachLimited } from "./each-limited.js";
