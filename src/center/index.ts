export { Center, type CenterDeps, type CenterSummary } from "./center.js";
export { type CenterConfig, centerConfigSchema } from "./center-config.js";
export { CenterFiles, parseMessageId } from "./center-files.js";
export type { ReceivedSegment } from "./center-video.js";
export { CommandClient, type CommandReply, CommandTimeoutError } from "./command-client.js";
export { UpdateServer, type UpdateServerOptions } from "./update-server.js";
