import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** How systemd starts the agent: the node flags of ExecStart and the unit's Environment= lines. */
export interface UnitLaunch {
  nodeArgs: string[];
  env: Record<string, string>;
}

/**
 * The Node.js flags and the environment camgate.service starts the agent with, so that soaks and
 * benches run it as the box does (its memory figures depend on them).
 */
export async function unitLaunch(): Promise<UnitLaunch> {
  const unit = await readFile(
    fileURLToPath(new URL("../../../systemd/camgate.service", import.meta.url)),
    "utf8",
  );
  const flags = /^ExecStart=\S*\/node((?: --\S+)*) /m.exec(unit)?.[1] ?? "";
  const env: Record<string, string> = {};
  for (const [, assignments] of unit.matchAll(/^Environment=(.*)$/gm))
    for (const assignment of (assignments ?? "").split(" ")) {
      const [name, ...value] = assignment.split("=");
      if (name) env[name] = value.join("=");
    }
  return { nodeArgs: flags.split(" ").filter(Boolean), env };
}
