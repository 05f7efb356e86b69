export { authorize, CLOCK_SKEW_MS } from "./authorization.js";
export {
  CommandConfigError,
  type CommandHandlers,
  CommandService,
  type CommandServiceDeps,
  decode,
} from "./command-service.js";
export { CommandRefusedError, type RefusalCode } from "./errors.js";
export { REFUSALS_BURST, REFUSALS_PER_MINUTE } from "./refusal-tally.js";
export { commandHandlers, type CommandHandlerDeps } from "./handlers.js";
export { COMMANDS, type CommandName, MAX_COMMAND_BYTES } from "./schemas.js";
