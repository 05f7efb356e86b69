import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Anything that runs clean-ups when a test or a suite ends: a TestContext, or Cleanups. */
export interface CleanupScope {
  after(fn: () => unknown): void;
}

/** Clean-ups for a suite's before() hook, which has no TestContext: call run() in after(). */
export class Cleanups implements CleanupScope {
  readonly #steps: (() => unknown)[] = [];

  after(fn: () => unknown): void {
    this.#steps.push(fn);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await step();
  }
}

/** A fresh directory under the system temp dir, removed when the test ends. */
export async function tempDir(t: CleanupScope, prefix = "camgate-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
