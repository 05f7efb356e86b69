import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Anything that runs clean-ups when a test or a suite ends: a TestContext, or Cleanups. */
export interface CleanupScope {
  after(fn: () => unknown): void;
}

/**
 * Clean-up steps run last registered first, each one even when an earlier one failed. For a
 * suite's before() hook, which has no TestContext, call run() in after().
 */
export class Cleanups implements CleanupScope {
  readonly #steps: (() => unknown)[] = [];

  after(fn: () => unknown): void {
    this.#steps.push(fn);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "several clean-up steps failed");
  }
}

const stacks = new WeakMap<CleanupScope, Cleanups>();

/**
 * Registers a clean-up step. node:test runs a context's after() hooks first registered first and
 * skips the rest once one throws: a temp dir removed while its broker still writes to it (which
 * can fail) would then leave that broker, and the test file, running for ever. Steps deferred
 * here run as one hook, in reverse order, each one whatever the others did.
 */
export function defer(scope: CleanupScope, fn: () => unknown): void {
  if (scope instanceof Cleanups) return scope.after(fn);
  let stack = stacks.get(scope);
  if (!stack) {
    const created = new Cleanups();
    scope.after(() => created.run());
    stacks.set(scope, created);
    stack = created;
  }
  stack.after(fn);
}

/** A fresh directory under the system temp dir, removed when the test ends. */
export async function tempDir(t: CleanupScope, prefix = "camgate-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  defer(t, () => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}
