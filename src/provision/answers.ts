import { readFile, stat } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { brokerUrlSchema } from "../protocol/index.js";
import { CamgateError, ExitCode } from "../errors.js";
import { writeFileAtomic } from "../util/files.js";

const credentialsSchema = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(256),
});

/**
 * `camgate provision --answers FILE`: every answer the flow would ask for, so that a box can be
 * provisioned by a script. Anything left out is asked on a terminal, or is an error naming it.
 */
export const answersSchema = z.strictObject({
  site: z
    .strictObject({
      id: z.string().optional(),
      name: z.string().optional(),
      location: z.string().max(500).optional(),
    })
    .optional(),
  certificate: z.strictObject({ cert: z.string().min(1), ca: z.string().min(1) }).optional(),
  broker: brokerUrlSchema.optional(),
  discovery: z
    .strictObject({
      cidrs: z.array(z.string()).optional(),
      multicast: z.boolean().optional(),
    })
    .optional(),
  credentials: z
    .strictObject({
      default: credentialsSchema.optional(),
      /** Keyed by camera address (or inventory id). */
      cameras: z.record(z.string(), credentialsSchema).optional(),
    })
    .optional(),
  /** The cameras found that the technician approves: all, none, or their addresses or ids. */
  approve: z.union([z.enum(["all", "none"]), z.array(z.string().min(1)).min(1)]).optional(),
  recording: z.boolean().optional(),
});

export type Answers = z.infer<typeof answersSchema>;
export type Credentials = z.infer<typeof credentialsSchema>;

export class AnswersError extends CamgateError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.config });
  }
}

export async function loadAnswers(file: string): Promise<Answers> {
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    throw new AnswersError(`cannot read the answers file ${file}`, { cause: error });
  });
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new AnswersError(`${file} is not valid YAML`, { cause: error });
  }
  const parsed = answersSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new AnswersError(`${file}: ${problems.length} problem(s):\n${problems.join("\n")}`);
  }
  const mode = (await stat(file)).mode & 0o077;
  if (parsed.data.credentials && mode !== 0)
    throw new AnswersError(
      `${file} holds camera passwords and others may read it: chmod 600 ${file}`,
    );
  return parsed.data;
}

/** What a run has done so far, kept between runs (never a secret): provisioning resumes. */
export interface ProvisionState {
  version: 1;
  done: string[];
  site?: { id: string; name?: string | undefined; location?: string | undefined };
  broker?: string;
  discovery?: { cidrs: string[]; multicast: boolean };
  recording?: boolean;
}

export async function loadState(file: string): Promise<ProvisionState> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return { version: 1, done: [] };
  try {
    const state = JSON.parse(text) as ProvisionState;
    if (state.version === 1 && Array.isArray(state.done)) return state;
  } catch {
    // An unreadable state file means starting over; nothing it held was secret.
  }
  return { version: 1, done: [] };
}

export function saveState(file: string, state: ProvisionState): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
