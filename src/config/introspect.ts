import type { z } from "zod";

/** The kinds of leaf a configuration value can have, as far as an override needs to know. */
export type LeafKind = "string" | "other";

export interface ConfigLeaf {
  path: string[];
  kind: LeafKind;
}

type AnySchema = z.core.$ZodType;

interface DefView {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
}

function defOf(schema: AnySchema): DefView {
  return schema._zod.def;
}

/** Strips optional/default/transform wrappers down to the schema that describes the value. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 16; depth++) {
    const def = defOf(current);
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/**
 * Every key path of an object schema that can hold a single value (records are left out:
 * their keys are not known in advance, so no environment variable can name them).
 */
export function listLeaves(schema: AnySchema, prefix: string[] = []): ConfigLeaf[] {
  const base = unwrap(schema);
  const def = defOf(base);
  if (def.type === "object" && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => listLeaves(child, [...prefix, key]));
  }
  if (def.type === "record") return [];
  const kind: LeafKind = def.type === "string" || def.type === "enum" ? "string" : "other";
  return [{ path: prefix, kind }];
}
