import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CamgateError } from "../errors.js";
import { writeFileAtomic } from "../util/files.js";

/**
 * The outcome of the last software update, kept in one small file next to the store (the
 * service's state directory: the only place it may write), so that `camgate status` and the
 * health sent upstream can say how the last update went after the restart it ends with.
 * The update feature writes it once per attempt; status and health only read it.
 *   installed    the new version runs and reported healthy
 *   rolled-back  the new version did not report healthy in time: the previous one runs again
 *   refused      never installed: bad signature or hash, a downgrade, a manifest out of bounds
 *   failed       could not be carried out (download, disk, install); the running version stays
 */
export const UPDATE_RESULTS = ["installed", "rolled-back", "refused", "failed"] as const;

export const lastUpdateSchema = z
  .object({
    schema: z.literal("camgate.update-result/1"),
    result: z.enum(UPDATE_RESULTS),
    /** The version the update offered (from its manifest; as given when no manifest was read). */
    version: z.string().min(1).max(64),
    /** The version that ran when the update began. */
    fromVersion: z.string().min(1).max(64),
    /** uplink: an update.offer from the center; file: camgate update apply FILE. */
    source: z.enum(["uplink", "file"]),
    /** When the outcome was known, UTC (ISO 8601). */
    finishedAt: z.iso.datetime(),
    /** Why it was refused, failed or rolled back, in words; null when installed. */
    reason: z.string().max(1000).nullable(),
  })
  .strict();

export type LastUpdate = z.infer<typeof lastUpdateSchema>;
export type UpdateResult = LastUpdate["result"];

export class UpdateStateError extends CamgateError {
  constructor(
    readonly file: string,
    message: string,
    cause?: unknown,
  ) {
    super(`${file}: ${message}`, { cause });
  }
}

/** Where the outcome of the last update is kept: beside the store, as runtime.json is. */
export function updateStatePath(storePath: string): string {
  return join(dirname(storePath), "update-result.json");
}

/** Records the outcome of an update attempt, replacing the previous one (atomic and synced). */
export async function writeLastUpdate(
  file: string,
  update: Omit<LastUpdate, "schema">,
): Promise<LastUpdate> {
  const record = lastUpdateSchema.parse({ schema: "camgate.update-result/1", ...update });
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`, 0o640);
  return record;
}

/**
 * The outcome of the last update; null when none was ever recorded. Synchronous on purpose: the
 * file is a few hundred bytes and health figures are gathered synchronously.
 */
export function readLastUpdate(file: string): LastUpdate | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UpdateStateError(file, `cannot be read: ${(error as Error).message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UpdateStateError(file, "is not JSON", error);
  }
  const parsed = lastUpdateSchema.safeParse(json);
  if (!parsed.success)
    throw new UpdateStateError(file, `is not an update result: ${parsed.error.message}`);
  return parsed.data;
}

/** For status and health: the last update, null if none, or why it cannot be told. */
export function lastUpdateOrError(file: string): LastUpdate | { error: string } | null {
  try {
    return readLastUpdate(file);
  } catch (error) {
    return { error: (error as Error).message };
  }
}
