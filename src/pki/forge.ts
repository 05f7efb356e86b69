import { createRequire } from "node:module";
import type Forge from "node-forge";

const require = createRequire(import.meta.url);

/**
 * node-forge, loaded when first asked for: it makes certificate requests and the center's and the
 * demo's certificates. The agent needs it only to renew, so its megabyte of JavaScript is not
 * resident in the agent all year.
 */
export function loadForge(): typeof Forge {
  return require("node-forge") as typeof Forge;
}
