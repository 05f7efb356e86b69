/**
 * The start guard: systemd runs it before every start of the agent (ExecStartPre), from a copy
 * outside any release (`<dir of update.currentLink>/update-guard/`, written by the last release
 * that ran healthy before it switched). It imports only node: modules and the update state, so a
 * new release that cannot even load is still rolled back: it counts the new release's starts,
 * completes a switch that a crash interrupted, and switches back to the previous release when
 * the new one has started too often or missed its health deadline.
 */
import { pathToFileURL } from "node:url";
import {
  pointLink,
  readUpdateState,
  releaseDir,
  restoreFile,
  type UpdateState,
  writeUpdateState,
} from "../lifecycle/update-state.js";

export type GuardAction = "none" | "trial" | "rolled_back";

/** Rolls back to the previous release: the link first, then the state that says so. */
export async function rollBack(
  file: string,
  state: UpdateState,
  reason: string,
  nowMs: number,
): Promise<void> {
  const pending = state.pending;
  if (!pending) return;
  if (pending.config) await restoreFile(pending.config.previous, pending.config.file);
  await pointLink(pending.currentLink, releaseDir(pending.releasesDir, pending.from));
  await writeUpdateState(file, {
    ...state,
    pending: null,
    last: {
      outcome: "rolled_back",
      version: pending.to,
      from: pending.from,
      reason,
      atMs: nowMs,
      what: pending.config ? "config" : "release",
      source: pending.source,
      reported: false,
    },
  });
}

/** What to do before this start; the state file and the link are left consistent. */
export async function guardStart(file: string, nowMs: number): Promise<GuardAction> {
  const state = await readUpdateState(file);
  const pending = state.pending;
  if (!pending) return "none";
  if (pending.phase === "switching") {
    // The old release wrote this and then pointed the link; a crash may have come in between.
    await pointLink(pending.currentLink, releaseDir(pending.releasesDir, pending.to));
    await writeUpdateState(file, {
      ...state,
      pending: {
        ...pending,
        phase: "trial",
        starts: 1,
        deadlineMs: nowMs + pending.healthTimeoutMs,
      },
    });
    return "trial";
  }
  if (pending.deadlineMs !== null && nowMs > pending.deadlineMs) {
    await rollBack(file, state, `${pending.to} did not report healthy in time`, nowMs);
    return "rolled_back";
  }
  if (pending.starts >= pending.maxStarts) {
    await rollBack(
      file,
      state,
      `${pending.to} started ${pending.starts} times without a healthy report`,
      nowMs,
    );
    return "rolled_back";
  }
  await writeUpdateState(file, {
    ...state,
    pending: {
      ...pending,
      starts: pending.starts + 1,
      deadlineMs: pending.deadlineMs ?? nowMs + pending.healthTimeoutMs,
    },
  });
  return "trial";
}

async function main(argv: string[]): Promise<number> {
  const file = argv[2];
  if (file === undefined) {
    process.stderr.write("usage: start-guard.js STATE_FILE\n");
    return 2;
  }
  try {
    const action = await guardStart(file, Date.now());
    process.stdout.write(`${JSON.stringify({ guard: action, state: file })}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `update guard: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main(process.argv);
