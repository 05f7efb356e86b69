import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { REPO_ROOT } from "./cli.js";

interface AsyncApiDocument {
  components: { schemas: Record<string, { properties?: { schema?: { const?: string } } }> };
}

/** Validators of docs/asyncapi.yaml's payload schemas, keyed by their `schema` constant. */
export async function payloadValidators(): Promise<Map<string, ValidateFunction>> {
  const doc = parse(
    await readFile(join(REPO_ROOT, "docs/asyncapi.yaml"), "utf8"),
  ) as AsyncApiDocument;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: "asyncapi", components: doc.components });
  const validators = new Map<string, ValidateFunction>();
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const id = schema.properties?.schema?.const;
    if (!id) continue;
    const validate = ajv.getSchema(`asyncapi#/components/schemas/${name}`);
    if (!validate) throw new Error(`schema ${name} did not compile`);
    validators.set(id, validate);
  }
  return validators;
}

/** Problems of one payload against the document; empty when it conforms. */
export function payloadProblems(
  validators: Map<string, ValidateFunction>,
  payload: Record<string, unknown>,
): string[] {
  const validate = validators.get(String(payload["schema"]));
  if (!validate) return [`no schema ${String(payload["schema"])} in docs/asyncapi.yaml`];
  if (validate(payload)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`);
}

/** Every payload the reference center kept under `dir` (JSON files and JSON lines). */
export async function keptPayloads(dir: string): Promise<Record<string, unknown>[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const payloads: Record<string, unknown>[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith(".")) continue;
    const text = await readFile(join(entry.parentPath, entry.name), "utf8");
    const records = entry.name.endsWith(".jsonl")
      ? text
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { payload?: Record<string, unknown> })
      : entry.name.endsWith(".json")
        ? [JSON.parse(text) as { payload?: Record<string, unknown> }]
        : [];
    // Files of the center's own (video reassembly, reports) hold no kept message.
    for (const record of records) if (record.payload) payloads.push(record.payload);
  }
  return payloads;
}
