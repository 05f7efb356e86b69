import { lastUpdateOrError, type UpdateResult } from "../lifecycle/update-state.js";
import { packageVersion } from "../version.js";

/** The last update as status and health tell it (docs/asyncapi.yaml, LastUpdate). */
export interface LastUpdateView {
  result: "installed" | "rolled-back" | "refused" | "failed";
  /** The version the update offered. */
  version: string;
  /** The version that ran when the update began. */
  fromVersion: string;
  source: "uplink" | "file";
  /** UTC, ISO 8601. */
  finishedAt: string;
  reason: string | null;
  /** A new release, or a new config file (config.apply). */
  what: "release" | "config";
}

/** What software the box runs, for status and health: camgate, Node.js, the last update. */
export interface SoftwareStatus {
  /** camgate's version (package.json of the installed release). */
  version: string;
  /** The Node.js runtime, as in `node --version` without the v: "24.11.1". */
  node: string;
  /** The outcome of the last update; null when none, or why the state file cannot be read. */
  lastUpdate: LastUpdateView | { error: string } | null;
}

function view(last: UpdateResult): LastUpdateView {
  return {
    result: last.outcome === "rolled_back" ? "rolled-back" : last.outcome,
    version: last.version,
    fromVersion: last.from ?? "unknown",
    source: last.source,
    finishedAt: new Date(last.atMs).toISOString(),
    reason: last.reason,
    what: last.what ?? "release",
  };
}

let version: string | undefined;

/** This process's software; the update state is read anew each time (the file is tiny). */
export function softwareStatus(updateStateFile: string): SoftwareStatus {
  version ??= packageVersion();
  const last = lastUpdateOrError(updateStateFile);
  const lastUpdate = last === null || "error" in last ? last : view(last);
  return { version, node: process.versions.node, lastUpdate };
}
