import { z } from "zod";
import { configSchema } from "./schema.js";

/** JSON Schema of what may be written in camgate.yaml (the input side of the zod schema). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" });
  return { ...schema, title: "camgate configuration" };
}
