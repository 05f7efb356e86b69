import { randomBytes } from "node:crypto";
import { parseDurationMs } from "../onvif/duration.js";
import { EVENT_NS } from "../onvif/namespaces.js";
import { soapEnvelope } from "../onvif/soap.js";
import { child, escapeXml as x, textOf, type XmlElement } from "../onvif/xml.js";
import { cameraNow, eventXAddr, type SimCameraState } from "./camera-state.js";

/**
 * The ONVIF event service of a simulated camera, written from the ONVIF Core Specification,
 * section 9 "Event handling": 9.1 Real-time Pull-Point Notification Interface
 * (CreatePullPointSubscription, then PullMessages with Timeout and MessageLimit answered at once
 * with what is queued or when something happens or the timeout passes, CurrentTime and
 * TerminationTime in every reply; Renew and Unsubscribe of the WS-BaseNotification subscription
 * manager on the pull point), 9.4 payload and properties (PropertyOperation Initialized /
 * Changed), 9.5 synchronization point (current property states again), 9.6 topics (tns1:, the
 * topic set of GetEventProperties), 9.9 faults; WS-BaseNotification 1.3 (OASIS) for Renew,
 * Unsubscribe and the wsnt: elements.
 */
export type EventFlavour = "hikvision" | "dahua";
export type SimEventKind = "motion" | "tamper" | "intrusion";
/**
 * A deliberately broken event service (tests of hostile cameras): `fault` answers every request
 * with a SOAP fault; `garbage` (malformed XML) and `oversize` (a 1 MiB body) answer PullMessages
 * only, after a subscription that worked.
 */
export type EventMisbehaviour = "fault" | "garbage" | "oversize";

export interface SimEventOptions {
  flavour: EventFlavour;
  /** Motion turns on every `everyMs` for `forMs` (none: only on demand). */
  motion?: { everyMs: number; forMs: number } | undefined;
  misbehave?: EventMisbehaviour | undefined;
  /**
   * A firmware whose Renew answers but does not extend the subscription: it expires at the
   * termination time first granted.
   */
  renewIgnored?: boolean | undefined;
}

/** The classes an analytics object may be reported with (tt:ClassType and its successors). */
export type SimObjectClass = "Human" | "Vehicle" | "Face" | "LicensePlate";

/**
 * Where an analytics object is reported: a rule of the rule engine, Profile M style (ONVIF
 * Analytics Service Specification: object classification in the scene description, rule
 * events under tns1:RuleEngine); stateless, one notification per object seen.
 */
const OBJECT_TOPIC = "tns1:RuleEngine/ObjectDetection/Object";

interface TopicSpec {
  topic: string;
  source: [string, string][];
  item: string;
}

const TOPICS: Record<EventFlavour, Record<SimEventKind, TopicSpec>> = {
  hikvision: {
    motion: {
      topic: "tns1:RuleEngine/CellMotionDetector/Motion",
      source: [
        ["VideoSourceConfigurationToken", "VideoSourceToken"],
        ["VideoAnalyticsConfigurationToken", "VideoAnalyticsToken"],
        ["Rule", "MyMotionDetectorRule"],
      ],
      item: "IsMotion",
    },
    tamper: {
      topic: "tns1:RuleEngine/TamperDetector/Tamper",
      source: [
        ["VideoSourceConfigurationToken", "VideoSourceToken"],
        ["VideoAnalyticsConfigurationToken", "VideoAnalyticsToken"],
        ["Rule", "MyTamperDetectorRule"],
      ],
      item: "IsTamper",
    },
    intrusion: {
      topic: "tns1:RuleEngine/FieldDetector/ObjectsInside",
      source: [
        ["VideoSourceConfigurationToken", "VideoSourceToken"],
        ["VideoAnalyticsConfigurationToken", "VideoAnalyticsToken"],
        ["Rule", "MyFieldDetector1"],
      ],
      item: "IsInside",
    },
  },
  dahua: {
    motion: {
      topic: "tns1:VideoSource/MotionAlarm",
      source: [["Source", "VideoSource_1"]],
      item: "State",
    },
    tamper: {
      topic: "tns1:VideoSource/GlobalSceneChange/ImagingService",
      source: [["Source", "VideoSource_1"]],
      item: "State",
    },
    intrusion: {
      topic: "tns1:RuleEngine/FieldDetector/ObjectsInside",
      source: [
        ["VideoSourceConfigurationToken", "VideoSource_1"],
        ["VideoAnalyticsConfigurationToken", "VideoAnalyticsToken"],
        ["Rule", "FieldDetector"],
      ],
      item: "IsInside",
    },
  },
};

const KINDS: readonly SimEventKind[] = ["motion", "tamper", "intrusion"];
const MAX_SUBSCRIPTIONS = 8;
const MAX_QUEUED = 256;
const MAX_TIMEOUT_MS = 60_000;
const MAX_MESSAGE_LIMIT = 1024;
const DEFAULT_TERMINATION_MS = 60_000;
const MAX_TERMINATION_MS = 3_600_000;

type Notification =
  | { kind: SimEventKind; state: boolean; operation: "Initialized" | "Changed"; atMs: number }
  | { kind: "object"; objectClass: SimObjectClass; text: string | undefined; atMs: number };

interface Subscription {
  id: string;
  expiresMs: number;
  queue: Notification[];
  wake?: (() => void) | undefined;
}

export interface EventReply {
  status: number;
  body: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class SimEventService {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #states = new Map<SimEventKind, boolean>(KINDS.map((kind) => [kind, false]));
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: SimCameraState,
    readonly options: SimEventOptions,
  ) {}

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /** Starts the motion schedule, if any. */
  start(): void {
    const motion = this.options.motion;
    if (!motion || this.#timer) return;
    this.#timer = setInterval(() => {
      this.set("motion", true);
      setTimeout(() => this.set("motion", false), motion.forMs).unref();
    }, motion.everyMs);
    this.#timer.unref();
  }

  /** Power off: the schedule stops and every subscription is forgotten. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.dropSubscriptions();
  }

  /** A reboot loses every subscription (the pull points no longer exist). */
  dropSubscriptions(): void {
    for (const subscription of this.#subscriptions.values()) subscription.wake?.();
    this.#subscriptions.clear();
  }

  /** Turns a detector on or off (the control hook tests use); unchanged states send nothing. */
  set(kind: SimEventKind, on: boolean): void {
    if (this.#states.get(kind) === on) return;
    this.#states.set(kind, on);
    this.#queue({ kind, state: on, operation: "Changed", atMs: cameraNow(this.state).getTime() });
  }

  /** A detector's current state. */
  stateOf(kind: SimEventKind): boolean | undefined {
    return this.#states.get(kind);
  }

  /** Reports one analytics object seen now (a person, a vehicle, a face, a plate and its text). */
  object(objectClass: SimObjectClass, text?: string): void {
    this.#queue({ kind: "object", objectClass, text, atMs: cameraNow(this.state).getTime() });
  }

  #queue(notification: Notification): void {
    for (const subscription of this.#subscriptions.values()) {
      subscription.queue.push(notification);
      if (subscription.queue.length > MAX_QUEUED) subscription.queue.shift();
      subscription.wake?.();
    }
  }

  /** Answers one request, already authenticated, to the service or to a subscription. */
  async handle(
    operation: XmlElement,
    subscriptionId: string | undefined,
    signal: AbortSignal,
    header?: XmlElement,
  ): Promise<EventReply> {
    const misbehave = this.options.misbehave;
    if (misbehave === "fault") return this.#fault("Receiver", "ter:Action", "event service error");
    this.#expire();
    const name = `${operation.ns} ${operation.local}`;
    if (name === `${EVENT_NS.tev} PullMessages` && misbehave === "garbage")
      return { status: 200, body: "<s:Envelope><s:Body><tev:PullMessagesResponse>\u0000" };
    if (name === `${EVENT_NS.tev} PullMessages` && misbehave === "oversize")
      return { status: 200, body: soapEnvelope(`<x>${"A".repeat(1024 * 1024)}</x>`) };
    if (subscriptionId === undefined) {
      if (name === `${EVENT_NS.tev} GetEventProperties`) return this.#ok(this.#properties());
      if (name === `${EVENT_NS.tev} CreatePullPointSubscription`) return this.#create(operation);
      return this.#fault("Receiver", "ter:ActionNotSupported", `${operation.local} not supported`);
    }
    // Like many devices, the subscription manager wants to be told where a request is going.
    const missing = missingAddressing(header, subscriptionId);
    if (missing)
      return this.#fault("Sender", "wsa5:MessageAddressingHeaderRequired", `${missing} missing`);
    const subscription = this.#subscriptions.get(subscriptionId);
    if (!subscription)
      return this.#fault("Sender", "wsrf-rw:ResourceUnknownFault", "no such subscription");
    switch (name) {
      case `${EVENT_NS.tev} PullMessages`:
        return this.#pull(subscription, operation, signal);
      case `${EVENT_NS.wsnt} Renew`: {
        if (!this.options.renewIgnored)
          subscription.expiresMs = this.#termination(
            textOf(child(operation, EVENT_NS.wsnt, "TerminationTime")),
          );
        return this.#ok(
          `<wsnt:RenewResponse><wsnt:TerminationTime>${iso(this.#cameraMs(subscription.expiresMs))}</wsnt:TerminationTime>` +
            `<wsnt:CurrentTime>${iso(this.#cameraMs(Date.now()))}</wsnt:CurrentTime></wsnt:RenewResponse>`,
        );
      }
      case `${EVENT_NS.tev} SetSynchronizationPoint`:
        this.#initialize(subscription);
        return this.#ok("<tev:SetSynchronizationPointResponse/>");
      case `${EVENT_NS.wsnt} Unsubscribe`:
        this.#subscriptions.delete(subscription.id);
        subscription.wake?.();
        return this.#ok("<wsnt:UnsubscribeResponse/>");
      default:
        return this.#fault(
          "Receiver",
          "ter:ActionNotSupported",
          `${operation.local} not supported`,
        );
    }
  }

  #cameraMs(localMs: number): number {
    return localMs + this.state.clockSkewMs;
  }

  /** Termination: an absolute time (camera clock) or a duration from now; local ms. */
  #termination(text: string | undefined): number {
    const now = Date.now();
    const relative = parseDurationMs(text);
    const absolute = text === undefined ? NaN : Date.parse(text) - this.state.clockSkewMs;
    const wanted =
      relative ?? (Number.isFinite(absolute) ? absolute - now : DEFAULT_TERMINATION_MS);
    return now + Math.min(Math.max(wanted, 1000), MAX_TERMINATION_MS);
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, subscription] of this.#subscriptions) {
      if (subscription.expiresMs > now) continue;
      this.#subscriptions.delete(id);
      subscription.wake?.();
    }
  }

  #initialize(subscription: Subscription): void {
    const atMs = cameraNow(this.state).getTime();
    for (const kind of KINDS) {
      subscription.queue.push({
        kind,
        state: this.#states.get(kind) ?? false,
        operation: "Initialized",
        atMs,
      });
    }
    subscription.wake?.();
  }

  #create(operation: XmlElement): EventReply {
    if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS)
      return this.#fault("Receiver", "ter:TooManySubscriptions", "too many subscriptions");
    const id = randomBytes(8).toString("hex");
    const subscription: Subscription = {
      id,
      expiresMs: this.#termination(
        textOf(child(operation, EVENT_NS.tev, "InitialTerminationTime")),
      ),
      queue: [],
    };
    this.#subscriptions.set(id, subscription);
    this.#initialize(subscription);
    return this.#ok(
      `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
        `<wsa5:Address>${x(`${eventXAddr(this.state)}/subscription/${id}`)}</wsa5:Address>` +
        `</tev:SubscriptionReference><wsnt:CurrentTime>${iso(this.#cameraMs(Date.now()))}</wsnt:CurrentTime>` +
        `<wsnt:TerminationTime>${iso(this.#cameraMs(subscription.expiresMs))}</wsnt:TerminationTime>` +
        `</tev:CreatePullPointSubscriptionResponse>`,
    );
  }

  async #pull(
    subscription: Subscription,
    operation: XmlElement,
    signal: AbortSignal,
  ): Promise<EventReply> {
    const timeoutMs = parseDurationMs(textOf(child(operation, EVENT_NS.tev, "Timeout")));
    const limit = Number(textOf(child(operation, EVENT_NS.tev, "MessageLimit")));
    if (
      timeoutMs === undefined ||
      timeoutMs > MAX_TIMEOUT_MS ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > MAX_MESSAGE_LIMIT
    ) {
      return {
        status: 400,
        body: soapEnvelope(
          `<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en">` +
            `Timeout or MessageLimit out of range</s:Text></s:Reason><s:Detail><tev:PullMessagesFaultResponse>` +
            `<tev:MaxTimeout>PT60S</tev:MaxTimeout><tev:MaxMessageLimit>${MAX_MESSAGE_LIMIT}</tev:MaxMessageLimit>` +
            `</tev:PullMessagesFaultResponse></s:Detail></s:Fault>`,
          "",
          EVENT_PREFIXES,
        ),
      };
    }
    if (subscription.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          subscription.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.min(timeoutMs, subscription.expiresMs - Date.now()));
        signal.addEventListener("abort", done);
        subscription.wake = done;
      });
    }
    if (!this.#subscriptions.has(subscription.id))
      return this.#fault("Sender", "wsrf-rw:ResourceUnknownFault", "no such subscription");
    const messages = subscription.queue.splice(0, limit);
    return this.#ok(
      `<tev:PullMessagesResponse><tev:CurrentTime>${iso(this.#cameraMs(Date.now()))}</tev:CurrentTime>` +
        `<tev:TerminationTime>${iso(this.#cameraMs(subscription.expiresMs))}</tev:TerminationTime>` +
        messages.map((message) => this.#notification(message)).join("") +
        `</tev:PullMessagesResponse>`,
    );
  }

  #notification(message: Notification): string {
    const items = (pairs: [string, string][]) =>
      pairs
        .map(([name, value]) => `<tt:SimpleItem Name="${x(name)}" Value="${x(value)}"/>`)
        .join("");
    if (message.kind === "object") {
      const data: [string, string][] = [
        ["ObjectId", String(message.atMs % 100_000)],
        ["ClassTypes", message.objectClass],
        ["Likelihood", "0.9"],
      ];
      if (message.text !== undefined) data.push(["PlateNumber", message.text]);
      return (
        `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">` +
        `${OBJECT_TOPIC}</wsnt:Topic><wsnt:Message><tt:Message UtcTime="${iso(message.atMs)}">` +
        `<tt:Source>${items([
          ["VideoSourceConfigurationToken", "VideoSourceToken"],
          ["Rule", "ObjectDetection"],
        ])}</tt:Source><tt:Data>${items(data)}</tt:Data></tt:Message></wsnt:Message>` +
        `</wsnt:NotificationMessage>`
      );
    }
    const spec = TOPICS[this.options.flavour][message.kind];
    return (
      `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">` +
      `${x(spec.topic)}</wsnt:Topic><wsnt:Message><tt:Message UtcTime="${iso(message.atMs)}" ` +
      `PropertyOperation="${message.operation}"><tt:Source>${items(spec.source)}</tt:Source>` +
      `<tt:Data>${items([[spec.item, String(message.state)]])}</tt:Data></tt:Message></wsnt:Message>` +
      `</wsnt:NotificationMessage>`
    );
  }

  #properties(): string {
    const declared = new Set<string>();
    let topics = "";
    for (const kind of KINDS) {
      const spec = TOPICS[this.options.flavour][kind];
      if (declared.has(spec.topic)) continue;
      declared.add(spec.topic);
      const path = spec.topic.replace(/^tns1:/, "").split("/");
      const leaf = `<tt:MessageDescription IsProperty="true"><tt:Data><tt:SimpleItemDescription Name="${spec.item}" Type="xs:boolean"/></tt:Data></tt:MessageDescription>`;
      topics += path.reduceRight(
        (inner, part, index) =>
          `<tns1:${part}${index === path.length - 1 ? ' wstop:topic="true"' : ""}>${inner}</tns1:${part}>`,
        leaf,
      );
    }
    return (
      `<tev:GetEventPropertiesResponse>` +
      `<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>` +
      `<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet>${topics}</wstop:TopicSet>` +
      `<wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>` +
      `<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>` +
      `<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>` +
      `</tev:GetEventPropertiesResponse>`
    );
  }

  #ok(body: string): EventReply {
    return { status: 200, body: soapEnvelope(body, "", EVENT_PREFIXES) };
  }

  #fault(code: "Sender" | "Receiver", subcode: string, reason: string): EventReply {
    return {
      status: code === "Sender" ? 400 : 500,
      body: soapEnvelope(
        `<s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>${x(subcode)}</s:Value>` +
          `</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">${x(reason)}</s:Text></s:Reason></s:Fault>`,
        "",
        EVENT_PREFIXES,
      ),
    };
  }
}

/**
 * Which WS-Addressing header a call to a subscription manager lacks (To, naming this very
 * subscription, and Action), if any. WS-Addressing 1.0 SOAP Binding, 6.4.3.
 */
function missingAddressing(
  header: XmlElement | undefined,
  subscriptionId: string,
): string | undefined {
  const to = textOf(child(header, EVENT_NS.wsa5, "To"));
  let path: string | undefined;
  try {
    path = to === undefined ? undefined : new URL(to).pathname;
  } catch {
    path = undefined;
  }
  if (!path?.endsWith(`/subscription/${subscriptionId}`)) return "wsa:To";
  if (!textOf(child(header, EVENT_NS.wsa5, "Action"))) return "wsa:Action";
  return undefined;
}

const EVENT_PREFIXES: Record<string, string> = {
  tev: EVENT_NS.tev,
  wsnt: EVENT_NS.wsnt,
  wsa5: EVENT_NS.wsa5,
  wstop: EVENT_NS.wstop,
  tns1: EVENT_NS.tns1,
  "wsrf-rw": EVENT_NS.wsrfRw,
  xs: "http://www.w3.org/2001/XMLSchema",
};
