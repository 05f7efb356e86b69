import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import type { CliContext, CliOutcome } from "../../src/cli/context.js";
import { buildProgram, COMMAND_MODULES, invokedCommand } from "../../src/cli/program.js";
import { cleanEnv, collect, MAIN_JS } from "../helpers/cli.js";

function context(): CliContext {
  const sink = new PassThrough();
  sink.resume();
  return { stdin: new PassThrough(), stdout: sink, stderr: sink, env: {} };
}

const argv = (...args: string[]) => ["node", "camgate", ...args];
const names = (program: Command) => program.commands.map((command) => command.name());

describe("program", () => {
  it("finds the command past the global options, with or without their values", () => {
    assert.equal(invokedCommand(argv("run")), "run");
    assert.equal(invokedCommand(argv("-c", "/etc/camgate/camgate.yaml", "run")), "run");
    assert.equal(invokedCommand(argv("--config", "run.yaml", "status")), "status");
    assert.equal(invokedCommand(argv("--config=run.yaml", "status")), "status");
    assert.equal(
      invokedCommand(argv("--log-level", "debug", "--json", "cameras", "list")),
      "cameras",
    );
    assert.equal(invokedCommand(argv("--", "sim")), "sim");
    assert.equal(invokedCommand(argv("--help")), undefined);
    assert.equal(invokedCommand(argv()), undefined);
  });

  it("lists with each module the commands it registers", async () => {
    const outcome: CliOutcome = { exitCode: 0 };
    for (const module of COMMAND_MODULES) {
      const program = new Command("camgate");
      (await module.load())(program, context(), outcome);
      assert.deepEqual(names(program), module.names);
    }
  });

  it("builds only the command asked for, and every command otherwise", async () => {
    const outcome: CliOutcome = { exitCode: 0 };
    const all = COMMAND_MODULES.flatMap((module) => module.names);
    assert.deepEqual(names(await buildProgram(context(), outcome, argv("-c", "x.yaml", "run"))), [
      "run",
    ]);
    assert.deepEqual(names(await buildProgram(context(), outcome, argv("cert", "show"))), [
      "cert",
      "pki",
    ]);
    assert.deepEqual(names(await buildProgram(context(), outcome, argv("--help"))), all);
    // A typo gets the whole program, so that commander can suggest the command meant.
    assert.deepEqual(names(await buildProgram(context(), outcome, argv("camers"))), all);
    assert.deepEqual(names(await buildProgram(context(), outcome, argv("help", "run"))), all);
  });

  it("starts the daemon without the simulator, the center, provisioning, forge or pino-pretty", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "camgate-program-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const log = join(dir, "loaded.txt");
    // A module hook that writes down every module the process loads.
    await writeFile(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + "\\n");
  return resolved;
}\n`,
    );
    const hooks = pathToFileURL(join(dir, "hooks.mjs")).href;
    await writeFile(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(hooks)});\n`,
    );
    const result = await collect(
      spawn(process.execPath, ["--import", join(dir, "register.mjs"), MAIN_JS, "run", "--help"], {
        env: cleanEnv(),
      }),
    );
    assert.equal(result.code, 0, result.stderr);
    const loaded = (await readFile(log, "utf8")).split("\n");
    assert.ok(
      loaded.some((url) => url.endsWith("/src/agent.js")),
      "the agent's modules loaded",
    );
    const unneeded =
      /\/src\/(sim|center|demo|provision)\/|\/node_modules\/(pino-pretty|node-forge)\//;
    assert.deepEqual(
      loaded.filter((url) => unneeded.test(url)),
      [],
    );
  });
});
