import { parseDocument } from "yaml";
import type { ConfigIssue } from "./errors.js";
import { type ConfigLeaf, listLeaves } from "./introspect.js";
import { configSchema } from "./schema.js";

export const ENV_PREFIX = "CAMGATE_";

/** Variables with the prefix that are not key overrides. */
export const RESERVED_ENV = new Set(["CAMGATE_CONFIG", "CAMGATE_FFMPEG"]);

function toUpperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export function envNameFor(path: readonly string[]): string {
  return ENV_PREFIX + path.map(toUpperSnake).join("_");
}

/** Maps every overridable variable name to the config key it sets. */
export function envOverrideTable(): Map<string, ConfigLeaf> {
  const table = new Map<string, ConfigLeaf>();
  for (const leaf of listLeaves(configSchema)) table.set(envNameFor(leaf.path), leaf);
  return table;
}

export interface EnvOverride {
  name: string;
  path: string[];
  value: unknown;
}

/**
 * Reads CAMGATE_<PATH> variables. String keys take the text as it is; other keys read it
 * as a YAML scalar or flow collection, so "true", "10", "64GiB" and "[a, b]" all work.
 */
export function readEnvOverrides(env: NodeJS.ProcessEnv): {
  overrides: EnvOverride[];
  issues: ConfigIssue[];
} {
  const table = envOverrideTable();
  const overrides: EnvOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || RESERVED_ENV.has(name) || raw === undefined) continue;
    const leaf = table.get(name);
    if (!leaf) {
      issues.push({
        path: "",
        message: "no configuration key has this name",
        source: { kind: "env", name },
      });
      continue;
    }
    overrides.push({
      name,
      path: leaf.path,
      value: leaf.kind === "string" ? raw : parseScalar(raw),
    });
  }
  return { overrides, issues };
}

/** A value as YAML when it reads cleanly as YAML; otherwise the text itself (the schema judges). */
function parseScalar(raw: string): unknown {
  const doc = parseDocument(raw, { logLevel: "silent" });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return raw;
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch {
    return raw;
  }
}

export function applyOverride(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    } else {
      node = next as Record<string, unknown>;
    }
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}
