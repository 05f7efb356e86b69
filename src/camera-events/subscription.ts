import { setTimeout as sleep } from "node:timers/promises";
import type { VaultHandle } from "../discovery/credentials.js";
import { OnvifCallError } from "../discovery/errors.js";
import { extractSystemDateAndTime } from "../discovery/extract.js";
import { reachableXAddr } from "../discovery/interrogate.js";
import { soapCall } from "../discovery/soap-client.js";
import type { CameraEventEntry, EventLog } from "../events/index.js";
import { Backoff } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { EVENT_NS, NS } from "../onvif/namespaces.js";
import { child, childrenNamed, descend, textOf, type XmlElement } from "../onvif/xml.js";
import type { Store } from "../store/index.js";
import { PullPointError } from "./errors.js";
import { EventRate } from "./event-rate.js";
import { EventNormaliser } from "./normalise.js";
import {
  type CallContext,
  createPullPoint,
  eventTopicCount,
  pullMessages,
  renew,
  setSynchronizationPoint,
  type SubscriptionRef,
  unsubscribe,
} from "./pullpoint.js";
import type { ReplyCommits } from "./reply-commits.js";

export interface EventTiming {
  /** How long one PullMessages waits on the camera for something to happen. */
  pullWaitMs: number;
  /**
   * The least time from one PullMessages to the next. A camera answers a long poll as soon as
   * it has something, so a busy camera would be asked once per event; this lets its events
   * gather and come together (one request, one commit for several), and keeps a camera that
   * ignores Timeout from turning the long poll into a busy loop.
   */
  pullIntervalMs: number;
  /** Subscription lifetime asked for; renewed when a third of it is left (or one pull's time). */
  terminationMs: number;
  callTimeoutMs: number;
  /** Re-subscription backoff after a failure. */
  retryInitialMs: number;
  retryMaxMs: number;
}

export const DEFAULT_EVENT_TIMING: EventTiming = {
  pullWaitMs: 10_000,
  pullIntervalMs: 500,
  terminationMs: 60_000,
  callTimeoutMs: 5_000,
  retryInitialMs: 2_000,
  retryMaxMs: 300_000,
};

const MESSAGE_LIMIT = 64;
/** A subscription that ends sooner than this after it began is followed by a backoff. */
const SHORT_LIVED_MS = 60_000;
/** A camera clock that moved this far between two replies has jumped (reset, NTP, reboot). */
const CLOCK_JUMP_MS = 5_000;

/** The camera advertises no event service: nothing to subscribe to until it changes. */
export class NoEventServiceError extends PullPointError {}

/**
 * The pull point is no more (expired, dropped by a reboot, dereferenced) or can no longer be
 * trusted (the camera's clock jumped, so its termination time means something else): a routine
 * end, followed by a fresh subscription, not a failure to report.
 */
export class SubscriptionEndedError extends PullPointError {
  constructor(
    message: string,
    readonly why: "gone" | "expired" | "clock-jump",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Faults by which a subscription manager says the pull point no longer exists. */
const GONE_SUBCODES = new Set([
  "ResourceUnknownFault",
  "ResourceUnknown",
  "SubscriptionReferenceDereferenced",
  "InvalidSubscription",
  "UnableToDestroySubscriptionFault",
]);

/** Whether a failed call to a pull point means it is gone (a fault that says so, or HTTP 404). */
export function subscriptionGone(error: unknown): boolean {
  if (!(error instanceof OnvifCallError)) return false;
  if (error.kind === "http" && error.status === 404) return true;
  return (
    error.kind === "fault" &&
    (error.fault?.subcodes.some((code) => GONE_SUBCODES.has(code)) ?? false)
  );
}

export interface CameraEventSubscriptionDeps {
  cameraId: string;
  store: Pick<Store, "repos">;
  vault: VaultHandle;
  log: EventLog;
  /** Where the events of each reply go to be committed with those of other cameras. */
  commits: Pick<ReplyCommits, "add">;
  timing: EventTiming;
  /** Events recorded at most per minute; the rest are counted and reported. */
  maxPerMinute?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * One camera's PullPoint subscription, kept alive: subscribe, long-poll, renew before it ends,
 * re-subscribe with backoff when it fails, unsubscribe when stopped. A failure is reported once
 * (an event), until events flow again; the normaliser's state outlives each subscription.
 */
export class CameraEventSubscription {
  readonly #normaliser = new EventNormaliser();
  readonly #rate: EventRate;
  readonly #throttled = (dropped: number, windowMs: number): void =>
    this.deps.log.record("camera_events_throttled", this.deps.cameraId, { dropped, windowMs });
  readonly #backoff: Backoff;
  #reported = false;
  /** Backoff between subscriptions that end soon after they began (a clock that keeps jumping). */
  readonly #endedBackoff: Backoff;
  /** Re-subscriptions after a pull point ended (expiry, reboot, clock jump); for tests/status. */
  resubscriptions = 0;

  constructor(private readonly deps: CameraEventSubscriptionDeps) {
    this.#rate = new EventRate(deps.maxPerMinute);
    this.#backoff = new Backoff({
      initialMs: deps.timing.retryInitialMs,
      maxMs: deps.timing.retryMaxMs,
      stableMs: Number.POSITIVE_INFINITY,
    });
    this.#endedBackoff = new Backoff({
      initialMs: deps.timing.retryInitialMs,
      maxMs: deps.timing.retryMaxMs,
      stableMs: Number.POSITIVE_INFINITY,
    });
  }

  /** Runs until `signal` aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const beganMs = this.#now();
      try {
        await this.#session(signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof SubscriptionEndedError) {
          this.resubscriptions++;
          this.deps.logger.info(
            { cameraId: this.deps.cameraId, why: error.why, reason: error.message },
            "camera event subscription ended; subscribing again",
          );
          // At once after a subscription that lived; with backoff when they end one after another.
          if (this.#now() - beganMs >= SHORT_LIVED_MS) this.#endedBackoff.reset();
          else await sleep(this.#endedBackoff.next(), undefined, { signal }).catch(() => undefined);
          continue;
        }
        this.#report(error);
        // No event service, or credentials the camera refuses: asking again soon cannot help, and
        // each refused login brings a camera's lockout closer. A credentials change restarts us.
        const waitLong =
          error instanceof NoEventServiceError ||
          (error instanceof OnvifCallError && error.kind === "not-authorized");
        const delay = waitLong ? this.deps.timing.retryMaxMs : this.#backoff.next();
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  #report(error: unknown): void {
    const { cameraId, logger, log } = this.deps;
    // What a camera answered is a reason, not a fault of ours: no stack trace for it.
    if (error instanceof PullPointError || error instanceof OnvifCallError)
      logger.warn(
        { cameraId, reason: (error as Error).message },
        "camera event subscription failed",
      );
    else logger.warn({ err: error, cameraId }, "camera event subscription failed");
    if (this.#reported) return;
    this.#reported = true;
    log.record("camera_events_unavailable", cameraId, {
      reason:
        error instanceof NoEventServiceError
          ? "no-event-service"
          : error instanceof OnvifCallError
            ? error.kind
            : "unusable-reply",
      error: (error as Error).message.slice(0, 300),
    });
  }

  async #session(signal: AbortSignal): Promise<void> {
    const { cameraId, store, vault, timing } = this.deps;
    const camera = store.repos.cameras.get(cameraId);
    const xaddr = camera?.xaddrs[0];
    if (!camera || !xaddr) throw new PullPointError(`${cameraId} has no device address`);
    const context: CallContext = {
      credentials: vault.vault.forCamera(camera),
      clockOffsetMs: 0,
      timeoutMs: timing.callTimeoutMs,
      signal,
    };
    context.clockOffsetMs = await this.#measureClock(xaddr, context);
    const eventXAddr = await this.#eventService(xaddr, context);
    const topics = await eventTopicCount(eventXAddr, context).catch((error: unknown) => {
      if (error instanceof OnvifCallError && error.kind === "timeout") throw error;
      return undefined;
    });
    const pullPoint = await createPullPoint(eventXAddr, timing.terminationMs, context);
    let gone = false;
    try {
      await this.#follow(pullPoint, pullPoint.terminationMs, topics, context, signal);
    } catch (error) {
      if (subscriptionGone(error)) {
        gone = true;
        throw new SubscriptionEndedError((error as Error).message, "gone", { cause: error });
      }
      throw error;
    } finally {
      // Cameras have few subscription slots: a pull point we stop using is given back.
      if (!gone) await this.#unsubscribe(pullPoint, context);
    }
  }

  async #follow(
    address: SubscriptionRef,
    cameraTerminationMs: number | undefined,
    topics: number | undefined,
    context: CallContext,
    signal: AbortSignal,
  ): Promise<void> {
    const { timing, cameraId, logger, log } = this.deps;
    // Some cameras fault on it; Initialized messages after the subscription still come.
    await setSynchronizationPoint(address, context).catch((error: unknown) => {
      if (error instanceof OnvifCallError && error.kind === "timeout") throw error;
      if (subscriptionGone(error)) throw error;
    });
    const localEnd = (cameraMs: number | undefined) =>
      cameraMs === undefined
        ? this.#now() + timing.terminationMs
        : cameraMs - context.clockOffsetMs;
    let endsMs = localEnd(cameraTerminationMs);
    // Renewed with a third of its lifetime left, and never later than one more pull could take.
    const renewWithinMs = Math.max(
      timing.terminationMs / 3,
      timing.pullWaitMs + timing.callTimeoutMs,
    );
    /** Whether a reply of this subscription's has shown the clock the offset follows. */
    let agreed = false;
    while (!signal.aborted) {
      // Well past its end (a renewal that failed, a Renew the camera ignores): pulling on would
      // only meet a dead pull point. Well past: some cameras report a termination time of now.
      if (this.#now() > endsMs + renewWithinMs)
        throw new SubscriptionEndedError(`${cameraId}: the subscription expired`, "expired");
      if (endsMs - this.#now() < renewWithinMs) {
        endsMs = localEnd(await renew(address, timing.terminationMs, context));
      }
      const sentMs = this.#now();
      const pulled = await pullMessages(address, timing.pullWaitMs, MESSAGE_LIMIT, {
        ...context,
        timeoutMs: timing.pullWaitMs + timing.callTimeoutMs,
      });
      const receivedMs = this.#now();
      if (this.#reported) {
        this.#reported = false;
        log.record("camera_events_resumed", cameraId, { topics: topics ?? null });
      }
      this.#backoff.reset();
      // The notifications of this reply are stamped by the clock its CurrentTime shows.
      const jumped =
        pulled.currentMs !== undefined &&
        Math.abs(pulled.currentMs - receivedMs - context.clockOffsetMs) > CLOCK_JUMP_MS;
      if (jumped) context.clockOffsetMs = (pulled.currentMs ?? receivedMs) - receivedMs;
      // A first reply off the clock GetSystemDateAndTime showed is no jump: the camera stamps its
      // events by another clock (a time zone taken for UTC...), which the offset now follows.
      const jumpedSinceSubscribing = jumped && agreed;
      agreed = true;
      const events: CameraEventEntry[] = [];
      for (const notification of pulled.notifications) {
        const event = this.#normaliser.normalise(notification, context.clockOffsetMs, receivedMs);
        if (event && this.#rate.admit(receivedMs, this.#throttled)) events.push(event);
      }
      this.deps.commits.add(cameraId, events);
      // Its termination time was set on the old clock: a fresh subscription, a fresh offset.
      if (jumpedSinceSubscribing) {
        logger.info({ cameraId }, "the camera's clock jumped");
        throw new SubscriptionEndedError(`${cameraId}: the camera's clock jumped`, "clock-jump");
      }
      // A camera past its rate is not asked again before its minute is over.
      const wait = Math.max(
        this.#rate.waitMs(this.#now()),
        sentMs + timing.pullIntervalMs - this.#now(),
      );
      if (wait > 0) await sleep(wait, undefined, { signal });
      if (pulled.terminationMs !== undefined) endsMs = localEnd(pulled.terminationMs);
    }
  }

  /** The camera's clock minus ours, as discovery measures it (midpoint of the call). */
  async #measureClock(xaddr: string, context: CallContext): Promise<number> {
    const sentMs = this.#now();
    const reply = await soapCall(xaddr, "<tds:GetSystemDateAndTime/>", {
      timeoutMs: context.timeoutMs,
      signal: context.signal,
    });
    const clock = extractSystemDateAndTime(reply);
    return clock ? clock.utcMs - Math.round((sentMs + this.#now()) / 2) : 0;
  }

  /** The event service's address, re-hosted to where we reach the camera. */
  async #eventService(xaddr: string, context: CallContext): Promise<string> {
    const call = (body: string) => soapCall(xaddr, body, context);
    let advertised: string | undefined;
    try {
      advertised = eventServiceOf(
        await call(
          "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        ),
      );
    } catch (error) {
      if (error instanceof OnvifCallError && error.kind === "timeout") throw error;
    }
    advertised ??= eventServiceOf(
      await call("<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>"),
    );
    if (!advertised) throw new NoEventServiceError(`${new URL(xaddr).host} has no event service`);
    return reachableXAddr(advertised, new URL(xaddr));
  }

  async #unsubscribe(address: SubscriptionRef, context: CallContext): Promise<void> {
    try {
      await unsubscribe(address, { ...context, signal: AbortSignal.timeout(2_000) });
    } catch (error) {
      this.deps.logger.debug({ err: error, cameraId: this.deps.cameraId }, "unsubscribe failed");
    }
  }
}

/** The event XAddr from GetServices (by namespace) or GetCapabilities (tt:Events). */
export function eventServiceOf(envelope: XmlElement): string | undefined {
  const body = child(envelope, NS.soap12, "Body") ?? child(envelope, NS.soap11, "Body");
  for (const service of childrenNamed(
    child(body, NS.tds, "GetServicesResponse"),
    NS.tds,
    "Service",
  )) {
    if (textOf(child(service, NS.tds, "Namespace")) === EVENT_NS.tev)
      return textOf(child(service, NS.tds, "XAddr"));
  }
  return textOf(
    descend(
      body,
      [NS.tds, "GetCapabilitiesResponse"],
      [NS.tds, "Capabilities"],
      [NS.tt, "Events"],
      [NS.tt, "XAddr"],
    ),
  );
}
