import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type CenterFigures, centerFigures, delivered, receivedRecords } from "./center-figures.js";
import { CenterWorld } from "./center-world.js";

export interface CenterWorkersOptions {
  dir: string;
  mainJs: string;
  /** How long the box makes new segments: one per camera a second, 40-200 KB of random bytes. */
  seconds: number;
  cameras: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CenterWorkersResult {
  figures: CenterFigures;
  /** Segments each worker finished, by client id. */
  finishedBy: Record<string, number>;
  /** Exit codes of the workers' clean stop. */
  exitCodes: (number | null)[];
}

export const SHARE_GROUP = "camgate-center";

/**
 * Two `camgate center` workers in one shared-subscription group on one output directory, a box
 * sending a segment per camera every second in 16 KiB chunks (the broker hands the chunks of one
 * segment to both workers), then every segment checked at the center: on file, hash, on record
 * once, its index entry once, no bookkeeping left.
 */
export async function runCenterWorkers(
  options: CenterWorkersOptions,
): Promise<CenterWorkersResult> {
  const log = options.log ?? (() => undefined);
  const world = await CenterWorld.create({
    dir: options.dir,
    mainJs: options.mainJs,
    cameras: options.cameras,
    chunkBytes: "16KiB",
  });
  try {
    const workers = [
      await world.startWorker({
        clientId: "center-1",
        identity: await world.identity("center"),
        group: SHARE_GROUP,
      }),
      await world.startWorker({
        clientId: "center-2",
        identity: await world.identity("center-2"),
        group: SHARE_GROUP,
      }),
    ];
    log(`two workers subscribed; ${options.cameras} cameras for ${options.seconds} s`);
    for (let second = 0; second < options.seconds; second++) {
      if (options.signal?.aborted) break;
      for (const camera of world.cameraIds)
        await world.addSegment(camera, randomInt(40_000, 200_000));
      if (second % 30 === 29) {
        const done = (await receivedRecords(world)).length;
        log(`${second + 1} s: ${world.boxSegments().length} segments made, ${done} at the center`);
      }
      await sleep(1000, undefined, options.signal ? { signal: options.signal } : {}).catch(
        () => undefined,
      );
    }
    await delivered(world, 180_000);
    const exitCodes = [];
    for (const worker of workers) exitCodes.push(await worker.terminate());
    const finishedBy: Record<string, number> = {};
    for (const record of await receivedRecords(world)) {
      finishedBy[record.finishedBy] = (finishedBy[record.finishedBy] ?? 0) + 1;
    }
    return { figures: await centerFigures(world), finishedBy, exitCodes };
  } finally {
    await world.stop();
  }
}
