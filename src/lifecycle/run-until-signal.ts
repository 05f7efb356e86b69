import { CamgateError, describeError, ExitCode } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { StopReport } from "./component-group.js";

export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<StopReport>;
  /** SIGHUP: take what can change without a restart; may reject (the old config stays). */
  reload?(): Promise<void>;
}

/**
 * Runs `target` until SIGINT or SIGTERM, then stops it; SIGHUP reloads it when it can. Resolves to the process exit code:
 * 0 after a clean stop, 1 when start failed or any component failed to stop in time.
 * A second signal while stopping exits at once.
 */
export async function runUntilSignal(
  target: Runnable,
  logger: Logger,
  processLike: Pick<NodeJS.Process, "once" | "on" | "off" | "exit"> = process,
): Promise<number> {
  const controller = new AbortController();
  let resolveStopRequested: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    resolveStopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, "second signal while stopping; exiting now");
      processLike.exit(ExitCode.failure);
      return;
    }
    logger.info({ signal }, "stop requested");
    controller.abort(new Error(`received ${signal}`));
    resolveStopRequested(signal);
    processLike.once(signal, onSignal);
  };
  let reloading = Promise.resolve();
  const onHangup = () => {
    const reload = target.reload?.bind(target);
    if (!reload || controller.signal.aborted) return;
    logger.info("reload requested");
    reloading = reloading
      .then(() => reload())
      .catch((error: unknown) =>
        logger.error(
          error instanceof CamgateError ? {} : { err: error },
          `reload refused: ${describeError(error)}`,
        ),
      );
  };
  processLike.once("SIGINT", onSignal);
  processLike.once("SIGTERM", onSignal);
  processLike.on("SIGHUP", onHangup);
  // Signal listeners do not keep the event loop alive; without this a daemon whose components
  // hold no handle (SQLite is synchronous) would exit as soon as it started.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    try {
      await target.start(controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) {
        // Our own errors explain themselves; a stack trace is kept for the unexpected ones.
        const expected = error instanceof CamgateError && hasOnlyExpectedCauses(error);
        logger.error(expected ? {} : { err: error }, `start failed: ${describeError(error)}`);
        return ExitCode.failure;
      }
    }
    if (!controller.signal.aborted) logger.info("running");
    await stopRequested;
    await reloading;
    const report = await target.stop();
    if (report.failures.length > 0) {
      logger.error({ failures: report.failures.map((f) => f.message) }, "stopped with failures");
      return ExitCode.failure;
    }
    logger.info("stopped cleanly");
    return ExitCode.ok;
  } finally {
    clearInterval(keepAlive);
    processLike.off("SIGINT", onSignal);
    processLike.off("SIGTERM", onSignal);
    processLike.off("SIGHUP", onHangup);
  }
}

/** True when the chain holds only our typed errors, and at its root any error with a code (EACCES, SQLITE_*). */
function hasOnlyExpectedCauses(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    if (current instanceof CamgateError) {
      current = current.cause;
      continue;
    }
    return current instanceof Error && typeof (current as NodeJS.ErrnoException).code === "string";
  }
  return true;
}
