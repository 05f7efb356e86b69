import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { REPO_ROOT } from "./cli.js";

type Json = Record<string, unknown>;

interface Channel {
  address: string;
  parameters?: Record<string, { enum?: string[] }>;
  messages: Record<string, { $ref: string }>;
}

interface Operation {
  action: "send" | "receive";
  channel: { $ref: string };
  bindings?: { mqtt?: { qos?: number; retain?: boolean; messageExpiryInterval?: unknown } };
}

interface MessageObject {
  contentType?: string;
  headers?: unknown;
  payload?: unknown;
  bindings?: { mqtt?: { contentType?: string } } | { $ref: string };
  examples?: { payload?: Json }[];
}

interface AsyncApiDocument {
  defaultContentType: string;
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: {
    schemas: Record<string, { properties?: { schema?: { const?: string } }; examples?: Json[] }>;
    messages: Record<string, MessageObject>;
  };
}

/** One MQTT message as a receiver saw it (user properties as strings, payload as bytes). */
export interface WireMessage {
  topic: string;
  qos: number;
  retain: boolean;
  contentType?: string | undefined;
  messageExpiryInterval?: number | undefined;
  userProperties: Record<string, string | string[]>;
  payload: Buffer;
}

interface SentChannel {
  name: string;
  pattern: RegExp;
  messages: string[];
  binding: { qos?: number; retain?: boolean; messageExpiryInterval?: unknown };
}

function channelPattern(channel: Channel): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const source = channel.address
    .split(/(\{[A-Za-z]+\})/)
    .map((part) => {
      const name = /^\{([A-Za-z]+)\}$/.exec(part)?.[1];
      if (name === undefined) return escape(part);
      const values = channel.parameters?.[name]?.enum;
      return values ? `(?:${values.map(escape).join("|")})` : "[^/#+]+";
    })
    .join("");
  return new RegExp(`^${source}$`);
}

/**
 * docs/asyncapi.yaml as a checker: which channel a topic belongs to, and whether a message on it
 * has the document's payload, headers (user properties), content type, QoS, retain flag and
 * expiry. Schemas are compiled with Ajv straight from the document.
 */
export class AsyncApiContract {
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #sent: SentChannel[];

  private constructor(
    private readonly doc: AsyncApiDocument,
    private readonly ajv: Ajv,
  ) {
    this.#sent = Object.values(doc.operations)
      .filter((operation) => operation.action === "send")
      .map((operation) => {
        const name = operation.channel.$ref.replace("#/channels/", "");
        const channel = doc.channels[name];
        if (!channel) throw new Error(`operation on an unknown channel ${name}`);
        return {
          name,
          pattern: channelPattern(channel),
          messages: Object.values(channel.messages).map((m) =>
            m.$ref.replace("#/components/messages/", ""),
          ),
          binding: operation.bindings?.mqtt ?? {},
        };
      });
  }

  static async load(): Promise<AsyncApiContract> {
    const doc = parse(
      await readFile(join(REPO_ROOT, "docs/asyncapi.yaml"), "utf8"),
    ) as AsyncApiDocument;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: "asyncapi", components: doc.components });
    return new AsyncApiContract(doc, ajv);
  }

  #validator(pointer: string): ValidateFunction {
    let validate = this.#validators.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`asyncapi#${pointer}`);
      if (!validate) throw new Error(`${pointer} did not compile`);
      this.#validators.set(pointer, validate);
    }
    return validate;
  }

  static #errors(validate: ValidateFunction): string[] {
    return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`);
  }

  /** The names of `cmd/<name>`. */
  commandNames(): string[] {
    return this.doc.channels["commands"]?.parameters?.["name"]?.enum ?? [];
  }

  /** The commands whose successful reply has a result schema of its own. */
  resultSchemas(): string[] {
    const succeeded = this.doc.components.schemas["SucceededAs"] as { properties?: Json };
    return Object.keys(succeeded.properties ?? {});
  }

  /** The `schema` constants of the payloads the box sends. */
  payloadSchemaIds(): string[] {
    return Object.values(this.doc.components.schemas).flatMap(
      (schema) => schema.properties?.schema?.const ?? [],
    );
  }

  schemaExamples(name: string): Json[] {
    return this.doc.components.schemas[name]?.examples ?? [];
  }

  messageExamples(name: string): Json[] {
    return (this.doc.components.messages[name]?.examples ?? []).flatMap((example) =>
      example.payload === undefined ? [] : [example.payload],
    );
  }

  /** The validator of the payload schema whose `schema` member is `id`. */
  payloadValidator(id: string): ValidateFunction | undefined {
    const entry = Object.entries(this.doc.components.schemas).find(
      ([, schema]) => schema.properties?.schema?.const === id,
    );
    return entry && this.#validator(`/components/schemas/${entry[0]}`);
  }

  /** Problems of a JSON payload against the schema its `schema` member names. */
  payloadProblems(payload: Json): string[] {
    const validate = this.payloadValidator(String(payload["schema"]));
    if (!validate) return [`no schema ${String(payload["schema"])} in docs/asyncapi.yaml`];
    return validate(payload) ? [] : AsyncApiContract.#errors(validate);
  }

  /** The channel the box would publish `topic` on, if any. */
  channelOf(topic: string): string | undefined {
    return this.#sent.find((channel) => channel.pattern.test(topic))?.name;
  }

  /** Everything wrong with one message the box sent; empty when it is what the document says. */
  problems(message: WireMessage): string[] {
    const channel = this.#sent.find((candidate) => candidate.pattern.test(message.topic));
    if (!channel) return [`${message.topic}: no channel of the document`];
    const problems: string[] = [];
    const { qos, retain, messageExpiryInterval } = channel.binding;
    if (qos !== undefined && message.qos !== qos) problems.push(`QoS ${message.qos}, not ${qos}`);
    if (retain !== undefined && message.retain !== retain)
      problems.push(`retain ${String(message.retain)}, not ${String(retain)}`);
    if (messageExpiryInterval === undefined && message.messageExpiryInterval !== undefined)
      problems.push(`message expiry ${message.messageExpiryInterval} where none is documented`);
    if (messageExpiryInterval !== undefined) {
      const limit = messageExpiryInterval as { maximum?: number };
      const seconds = message.messageExpiryInterval;
      if (seconds === undefined || (limit.maximum !== undefined && seconds > limit.maximum))
        problems.push(`message expiry ${String(seconds)}, documented ${JSON.stringify(limit)}`);
    }
    // A channel has one message, or several told apart by their payload: any may fit.
    const verdicts = channel.messages.map((name) => this.#messageProblems(name, message));
    const fitting = verdicts.find((verdict) => verdict.length === 0);
    if (!fitting) problems.push(...(verdicts[0] ?? []));
    return problems.map((problem) => `${message.topic} (${channel.name}): ${problem}`);
  }

  #messageProblems(name: string, message: WireMessage): string[] {
    const definition = this.doc.components.messages[name];
    if (!definition) return [`no message ${name}`];
    const problems: string[] = [];
    const bindings = definition.bindings as { mqtt?: { contentType?: string } } | undefined;
    const contentType =
      definition.contentType ?? bindings?.mqtt?.contentType ?? this.doc.defaultContentType;
    if (message.contentType !== contentType)
      problems.push(`content type ${String(message.contentType)}, not ${contentType}`);
    if (definition.headers !== undefined) {
      const validate = this.#validator(`/components/messages/${name}/headers`);
      if (!validate(message.userProperties))
        problems.push(...AsyncApiContract.#errors(validate).map((p) => `headers${p}`));
    }
    if (contentType === "application/json") {
      let payload: unknown;
      try {
        payload = JSON.parse(message.payload.toString("utf8"));
      } catch {
        return [...problems, "payload is not JSON"];
      }
      const validate = this.#validator(`/components/messages/${name}/payload`);
      if (!validate(payload))
        problems.push(...AsyncApiContract.#errors(validate).map((p) => `payload${p}`));
    }
    return problems;
  }
}

/** Validators of docs/asyncapi.yaml's payload schemas, keyed by their `schema` constant. */
export async function payloadValidators(): Promise<Map<string, ValidateFunction>> {
  const contract = await AsyncApiContract.load();
  const validators = new Map<string, ValidateFunction>();
  for (const id of contract.payloadSchemaIds()) {
    const validate = contract.payloadValidator(id);
    if (validate) validators.set(id, validate);
  }
  return validators;
}

/** Problems of one payload against the document; empty when it conforms. */
export function payloadProblems(
  validators: Map<string, ValidateFunction>,
  payload: Json,
): string[] {
  const validate = validators.get(String(payload["schema"]));
  if (!validate) return [`no schema ${String(payload["schema"])} in docs/asyncapi.yaml`];
  if (validate(payload)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`);
}

/** Every payload the reference center kept under `dir` (JSON files and JSON lines). */
export async function keptPayloads(dir: string): Promise<Json[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const payloads: Json[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith(".")) continue;
    const text = await readFile(join(entry.parentPath, entry.name), "utf8");
    const records = entry.name.endsWith(".jsonl")
      ? text
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { payload?: Json })
      : entry.name.endsWith(".json")
        ? [JSON.parse(text) as { payload?: Json }]
        : [];
    // Files of the center's own (video reassembly, reports) hold no kept message.
    for (const record of records) if (record.payload) payloads.push(record.payload);
  }
  return payloads;
}
