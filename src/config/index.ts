export { envNameFor, envOverrideTable, RESERVED_ENV } from "./env.js";
export { ConfigAccessError, ConfigError, type ConfigIssue, formatIssue } from "./errors.js";
export { configJsonSchema } from "./json-schema.js";
export {
  DEFAULT_CONFIG_PATH,
  type LoadedConfig,
  loadConfigFile,
  loadYamlFile,
  parseConfigText,
  resolveConfigPath,
} from "./load.js";
export { applyReload, planReload, RELOADABLE_PATHS, type ReloadPlan } from "./reload.js";
export * from "./schema.js";
export { formatBytes, parseDuration, parseSize } from "./units.js";
