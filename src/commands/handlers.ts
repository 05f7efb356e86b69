import type { AgentEvents } from "../agent-events.js";
import { AuditRateLimitedError } from "../audit/index.js";
import type { StorageConfig } from "../config/index.js";
import type { EventBus } from "../lifecycle/index.js";
import type { LiveSessionInfo } from "../live/index.js";
import { LockRefusedError, lockRecordings } from "../retention/index.js";
import type { SignedManifest } from "../protocol/index.js";
import type { Store } from "../store/index.js";
import { UpdateRefusedError } from "../update/index.js";
import type { CommandHandlers } from "./command-service.js";
import { CommandRefusedError, type RefusalCode } from "./errors.js";

export interface CommandHandlerDeps {
  store: Pick<Store, "repos">;
  bus: EventBus<AgentEvents>;
  storage: StorageConfig;
  live:
    | {
        begin(camera: string, seconds: number): Promise<LiveSessionInfo>;
        end(camera: string): Promise<boolean>;
      }
    | undefined;
  discovery: { runOnce(): Promise<unknown> } | undefined;
  audit: { runNow(cameraId?: string): Promise<unknown> } | undefined;
  /** The certificate renewal; undefined without an uplink identity. */
  renewal?: { request(reason: "command"): Promise<Record<string, unknown>> } | undefined;
  /** Signed updates; undefined where no update key is configured. */
  update?:
    | {
        offer(release: SignedManifest): Promise<Record<string, unknown>>;
        applyConfig(yaml: string): Promise<Record<string, unknown>>;
      }
    | undefined;
  /** What `status.get` answers: the figures health reports. */
  status: () => Record<string, unknown>;
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What each command does in the agent; arguments arrive checked and authorised. */
export function commandHandlers(deps: CommandHandlerDeps): CommandHandlers {
  const now = () => (deps.now ?? Date.now)();
  const camera = (id: string) => {
    if (!deps.store.repos.cameras.get(id))
      throw new CommandRefusedError("not_found", `no camera ${id}`);
    return id;
  };
  const needs = <T>(part: T | undefined, what: string): T => {
    if (part === undefined) throw new CommandRefusedError("unavailable", `${what} is disabled`);
    return part;
  };
  return {
    "clip.request": async (args, requestId) => {
      const { repos } = deps.store;
      const segments = repos.segments.overlapping(
        camera(args.camera),
        Date.parse(args.from),
        Date.parse(args.to),
      );
      const queued = repos.videoTransfers.request(
        segments.map((segment) => segment.id),
        requestId,
        now(),
      );
      deps.bus.emit("videoRequested", { segmentIds: segments.map((segment) => segment.id) });
      return {
        queued,
        segments: segments.map((segment) => ({
          id: segment.id,
          start: iso(segment.startMs),
          end: iso(segment.endMs),
          bytes: segment.bytes,
          sha256: segment.sha256,
        })),
      };
    },
    "recordings.lock": async (args) => {
      const { repos } = deps.store;
      const untilMs = Date.parse(args.until);
      const maxHold = deps.storage.maxLockHold;
      if (untilMs - now() > maxHold)
        throw new CommandRefusedError(
          "bad_request",
          `"until" may be no later than ${iso(now() + maxHold)} (storage.maxLockHold)`,
        );
      try {
        return lockRecordings(
          repos.segments,
          deps.storage,
          {
            cameraId: camera(args.camera),
            fromMs: Date.parse(args.from),
            toMs: Date.parse(args.to),
            untilMs,
          },
          { now: now() },
        );
      } catch (error) {
        if (error instanceof LockRefusedError)
          throw new CommandRefusedError("refused", error.message, { cause: error });
        throw error;
      }
    },
    "live.start": async (args) => ({
      ...(await needs(deps.live, "live view").begin(camera(args.camera), args.seconds)),
    }),
    "live.stop": async (args) => ({
      stopped: await needs(deps.live, "live view").end(camera(args.camera)),
    }),
    "audit.run": async (args) => {
      const audit = needs(deps.audit, "the audit");
      try {
        return {
          reports: await audit.runNow(args.camera === undefined ? undefined : camera(args.camera)),
        };
      } catch (error) {
        if (error instanceof AuditRateLimitedError)
          throw new CommandRefusedError("rate_limited", error.message, { cause: error });
        throw error;
      }
    },
    "discovery.run": async () => ({ round: await needs(deps.discovery, "discovery").runOnce() }),
    "status.get": async () => deps.status(),
    // Started, not finished: the outcome is the certificate_renewed (or _failed) event.
    "cert.renew": async () => ({
      ...(await needs(deps.renewal, "certificate renewal").request("command")),
    }),
    "update.offer": async (args) =>
      updateRefusals(() => needs(deps.update, "updates (update.publicKey)").offer(args.release)),
    "config.apply": async (args) =>
      updateRefusals(() => needs(deps.update, "updates (update.publicKey)").applyConfig(args.yaml)),
  };
}

const REFUSAL_OF: Partial<Record<UpdateRefusedError["reason"], RefusalCode>> = {
  bad_signature: "bad_signature",
  busy: "busy",
  unsigned: "unsigned",
  bad_config: "bad_request",
};

/** An update's refusal as the command's: its code where one fits, else `refused`. */
async function updateRefusals(
  work: () => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UpdateRefusedError)
      throw new CommandRefusedError(REFUSAL_OF[error.reason] ?? "refused", error.message, {
        cause: error,
      });
    throw error;
  }
}
