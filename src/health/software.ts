import { type LastUpdate, lastUpdateOrError } from "../lifecycle/update-state.js";
import { packageVersion } from "../version.js";

/** What software the box runs, for status and health: camgate, Node.js, the last update. */
export interface SoftwareStatus {
  /** camgate's version (package.json of the installed release). */
  version: string;
  /** The Node.js runtime, as in `node --version` without the v: "24.11.1". */
  node: string;
  /** The outcome of the last update (without the file's format marker); null when none. */
  lastUpdate: Omit<LastUpdate, "schema"> | { error: string } | null;
}

let version: string | undefined;

/** This process's software; the update result is read anew each time (the file is tiny). */
export function softwareStatus(updateStateFile: string): SoftwareStatus {
  version ??= packageVersion();
  const lastUpdate = lastUpdateOrError(updateStateFile);
  if (lastUpdate === null || "error" in lastUpdate)
    return { version, node: process.versions.node, lastUpdate };
  const { schema: _format, ...outcome } = lastUpdate;
  return { version, node: process.versions.node, lastUpdate: outcome };
}
