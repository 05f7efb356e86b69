import { readFile, stat } from "node:fs/promises";
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { applyOverride, readEnvOverrides } from "./env.js";
import { whyUnreadable } from "../util/file-access.js";
import { ConfigAccessError, ConfigError, type ConfigIssue } from "./errors.js";
import { type Config, configSchema } from "./schema.js";

export const DEFAULT_CONFIG_PATH = "/etc/camgate/camgate.yaml";
const MAX_CONFIG_BYTES = 1024 * 1024;

/** `--config`, then CAMGATE_CONFIG, then the system path. */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? env.CAMGATE_CONFIG ?? DEFAULT_CONFIG_PATH;
}

export interface LoadedConfig {
  config: Config;
  file: string;
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  return { config: parseConfigText(await readConfigText(file), file, env), file };
}

/** A YAML file checked against another schema (the center's), with the same error reporting. */
export async function loadYamlFile<S extends z.ZodType>(
  schema: S,
  file: string,
): Promise<z.output<S>> {
  return parseYamlWith(schema, await readConfigText(file), file, { overrides: [], issues: [] });
}

async function readConfigText(file: string): Promise<string> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES")
      throw new ConfigAccessError(
        `permission denied: ${(await whyUnreadable(file)) ?? file}; run camgate as a user who may read it (sudo), or change its owner or mode`,
        { cause: error },
      );
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "file not found"
        : `cannot read: ${(error as Error).message}`;
    throw new ConfigError([{ path: "", message: reason, source: { kind: "file", file } }], {
      cause: error,
    });
  }
  return text;
}

/** Parses, overrides from the environment, validates; throws a ConfigError listing every problem. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): Config {
  return parseYamlWith(configSchema, text, file, readEnvOverrides(env));
}

function parseYamlWith<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  { overrides, issues: envIssues }: ReturnType<typeof readEnvOverrides>,
): z.output<S> {
  const lineCounter = new LineCounter();
  // Warnings (an unknown tag or directive) are refused like errors, not printed to stderr: the
  // file does not say what its author meant.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    logLevel: "silent",
  });
  const at = (offset: number | undefined): ConfigIssue["source"] => {
    if (offset === undefined) return { kind: "file", file };
    const { line, col } = lineCounter.linePos(offset);
    return { kind: "file", file, line, column: col };
  };

  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((error) => ({
        path: "",
        message: `YAML: ${error.message.split("\n")[0]}`,
        source: at(error.pos[0]),
      })),
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new ConfigError(
      [{ path: "", message: `YAML: ${(error as Error).message}`, source: at(0) }],
      {
        cause: error,
      },
    );
  }
  if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
    throw new ConfigError([{ path: "", message: "expected a mapping of keys", source: at(0) }]);
  }

  const fromEnv = new Map<string, string>();
  for (const override of overrides) {
    applyOverride(raw as Record<string, unknown>, override.path, override.value);
    fromEnv.set(override.path.join("."), override.name);
  }

  const result = schema.safeParse(raw);
  if (result.success && envIssues.length === 0) return result.data;

  const issues = [...envIssues];
  for (const zodIssue of result.error?.issues ?? []) {
    for (const { path, message } of expandIssue(zodIssue, raw)) {
      const dotted = path.join(".");
      const envName = fromEnv.get(dotted);
      issues.push({
        path: dotted,
        message,
        source: envName ? { kind: "env", name: envName } : at(locate(doc.contents, path)),
      });
    }
  }
  throw new ConfigError(issues);
}

/** One issue per unknown key, so each names its own path and line. */
function expandIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
): { path: (string | number)[]; message: string }[] {
  const path = issue.path.map((segment) =>
    typeof segment === "symbol" ? String(segment) : segment,
  );
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], message: "unknown key" }));
  }
  if (issue.code === "invalid_type" && valueAt(raw, path) === undefined) {
    return [{ path, message: "required key is missing" }];
  }
  return [{ path, message: issue.message }];
}

/**
 * Offset of the YAML node at `path`: the key itself when the path ends on a mapping key
 * (so an unknown key points at its own line), or the nearest ancestor when the key is missing.
 */
function locate(root: unknown, path: readonly (string | number)[]): number | undefined {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String((item.key as Node | null)?.toJSON?.() ?? item.key) === String(segment),
      );
      if (!pair) return offset;
      const keyNode = pair.key as Node | null;
      offset = keyNode?.range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
