export { createLogger, type Logger, type LoggerOptions, silentLogger } from "./logger.js";
export { REDACTED, redactJsonLine, redactText, redactValue } from "./redact.js";
