import { reachableXAddr } from "../discovery/interrogate.js";
import { type Credentials, soapCall } from "../discovery/soap-client.js";
import { formatDuration } from "../onvif/duration.js";
import { EVENT_NS, NS } from "../onvif/namespaces.js";
import {
  attr,
  child,
  childrenNamed,
  descend,
  resolveQName,
  textOf,
  type XmlElement,
} from "../onvif/xml.js";
import { PullPointError } from "./errors.js";

/** The largest reply taken from a camera's event service; a bigger one is refused unread. */
export const MAX_EVENT_REPLY_BYTES = 256 * 1024;
const MAX_ITEMS = 16;
const MAX_TEXT = 256;
const MAX_ADDRESS = 1024;

const TEV = `xmlns:tev="${EVENT_NS.tev}"`;
const WSNT = `xmlns:wsnt="${EVENT_NS.wsnt}"`;

/** A notification as the camera sent it, bounded: topic, its own time, and its items. */
export interface RawNotification {
  /** "tns1:RuleEngine/CellMotionDetector/Motion" for ONVIF topics, "{namespace}Path" else. */
  topic: string;
  utcMs: number | undefined;
  operation: "Initialized" | "Changed" | "Deleted" | undefined;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface CallContext {
  credentials: Credentials | undefined;
  clockOffsetMs: number;
  timeoutMs: number;
  signal: AbortSignal;
}

function bodyOf(envelope: XmlElement): XmlElement | undefined {
  return child(envelope, NS.soap12, "Body") ?? child(envelope, NS.soap11, "Body");
}

/** WS-Addressing actions (ONVIF event WSDL, WS-BaseNotification WSDL). */
const ACTION = {
  properties: "http://www.onvif.org/ver10/events/wsdl/EventPortType/GetEventPropertiesRequest",
  create: "http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionRequest",
  pull: "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest",
  synchronize:
    "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/SetSynchronizationPointRequest",
  renew: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
  unsubscribe: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
} as const;

/**
 * One event-service call, with the WS-Addressing headers a subscription manager needs: `to` is
 * the address as the camera wrote it (its own name for the pull point), `address` where we
 * reach it.
 */
function call(
  address: string,
  body: string,
  context: CallContext,
  addressing: { to: string; action: string },
): Promise<XmlElement> {
  return soapCall(address, body, {
    credentials: context.credentials,
    clockOffsetMs: context.clockOffsetMs,
    timeoutMs: context.timeoutMs,
    maxBytes: MAX_EVENT_REPLY_BYTES,
    signal: context.signal,
    addressing,
  });
}

function timeMs(element: XmlElement | undefined): number | undefined {
  const value = Date.parse(textOf(element) ?? "");
  return Number.isFinite(value) ? value : undefined;
}

function expect(envelope: XmlElement, ns: string, name: string, host: string): XmlElement {
  const reply = child(bodyOf(envelope), ns, name);
  if (!reply) throw new PullPointError(`${host}: the reply carries no ${name}`);
  return reply;
}

/** How many topics the camera says it can emit (GetEventProperties), bounded. */
export async function eventTopicCount(xaddr: string, context: CallContext): Promise<number> {
  const reply = expect(
    await call(xaddr, `<tev:GetEventProperties ${TEV}/>`, context, {
      to: xaddr,
      action: ACTION.properties,
    }),
    EVENT_NS.tev,
    "GetEventPropertiesResponse",
    new URL(xaddr).host,
  );
  let count = 0;
  const visit = (element: XmlElement, depth: number) => {
    if (depth > 16 || count > 1000) return;
    if (attr(element, "topic", EVENT_NS.wstop) === "true") count++;
    for (const inner of element.children) visit(inner, depth + 1);
  };
  visit(child(reply, EVENT_NS.wstop, "TopicSet") ?? reply, 0);
  return count;
}

/** A subscription manager: where we reach it, and its address as the camera advertised it. */
export interface SubscriptionRef {
  /** Pointed at the host and port we reach the camera on. */
  address: string;
  /** As the camera wrote it: the WS-Addressing To of every call to the pull point. */
  to: string;
}

export interface PullPoint extends SubscriptionRef {
  /** When the subscription ends, on the camera's clock. */
  terminationMs: number | undefined;
  currentMs: number | undefined;
}

export async function createPullPoint(
  xaddr: string,
  terminationMs: number,
  context: CallContext,
): Promise<PullPoint> {
  const reached = new URL(xaddr);
  const reply = expect(
    await call(
      xaddr,
      `<tev:CreatePullPointSubscription ${TEV}><tev:InitialTerminationTime>${formatDuration(terminationMs)}` +
        `</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
      context,
      { to: xaddr, action: ACTION.create },
    ),
    EVENT_NS.tev,
    "CreatePullPointSubscriptionResponse",
    reached.host,
  );
  const advertised = textOf(
    descend(reply, [EVENT_NS.tev, "SubscriptionReference"], [EVENT_NS.wsa5, "Address"]),
  );
  if (!advertised || advertised.length > MAX_ADDRESS)
    throw new PullPointError(`${reached.host}: no usable subscription address`);
  return {
    address: reachableXAddr(advertised, reached),
    to: advertised,
    terminationMs: timeMs(child(reply, EVENT_NS.wsnt, "TerminationTime")),
    currentMs: timeMs(child(reply, EVENT_NS.wsnt, "CurrentTime")),
  };
}

export interface Pulled {
  notifications: RawNotification[];
  currentMs: number | undefined;
  terminationMs: number | undefined;
}

export async function pullMessages(
  ref: SubscriptionRef,
  waitMs: number,
  limit: number,
  context: CallContext,
): Promise<Pulled> {
  const envelope = await call(
    ref.address,
    `<tev:PullMessages ${TEV}><tev:Timeout>${formatDuration(waitMs)}</tev:Timeout>` +
      `<tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`,
    context,
    { to: ref.to, action: ACTION.pull },
  );
  return readPulled(envelope, limit, new URL(ref.address).host);
}

/** A PullMessagesResponse: at most `limit` notifications, whatever the camera sent. */
export function readPulled(envelope: XmlElement, limit: number, host: string): Pulled {
  const reply = expect(envelope, EVENT_NS.tev, "PullMessagesResponse", host);
  return {
    notifications: childrenNamed(reply, EVENT_NS.wsnt, "NotificationMessage")
      .slice(0, limit)
      .flatMap((message) => readNotification(message) ?? []),
    currentMs: timeMs(child(reply, EVENT_NS.tev, "CurrentTime")),
    terminationMs: timeMs(child(reply, EVENT_NS.tev, "TerminationTime")),
  };
}

export async function renew(
  ref: SubscriptionRef,
  terminationMs: number,
  context: CallContext,
): Promise<number | undefined> {
  const reply = expect(
    await call(
      ref.address,
      `<wsnt:Renew ${WSNT}><wsnt:TerminationTime>${formatDuration(terminationMs)}</wsnt:TerminationTime></wsnt:Renew>`,
      context,
      { to: ref.to, action: ACTION.renew },
    ),
    EVENT_NS.wsnt,
    "RenewResponse",
    new URL(ref.address).host,
  );
  return timeMs(child(reply, EVENT_NS.wsnt, "TerminationTime"));
}

export async function setSynchronizationPoint(
  ref: SubscriptionRef,
  context: CallContext,
): Promise<void> {
  await call(ref.address, `<tev:SetSynchronizationPoint ${TEV}/>`, context, {
    to: ref.to,
    action: ACTION.synchronize,
  });
}

export async function unsubscribe(ref: SubscriptionRef, context: CallContext): Promise<void> {
  await call(ref.address, `<wsnt:Unsubscribe ${WSNT}/>`, context, {
    to: ref.to,
    action: ACTION.unsubscribe,
  });
}

function items(parent: XmlElement | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const item of childrenNamed(parent, NS.tt, "SimpleItem").slice(0, MAX_ITEMS)) {
    const name = attr(item, "Name");
    if (name === undefined || name === "__proto__") continue;
    found[name.slice(0, MAX_TEXT)] = (attr(item, "Value") ?? "").slice(0, MAX_TEXT);
  }
  return found;
}

/** One wsnt:NotificationMessage; undefined when it has no usable topic. */
export function readNotification(message: XmlElement): RawNotification | undefined {
  const topicElement = child(message, EVENT_NS.wsnt, "Topic");
  const topicText = textOf(topicElement);
  if (!topicElement || !topicText) return undefined;
  const [head = "", ...rest] = topicText.slice(0, MAX_TEXT).split("/");
  const { ns, local } = resolveQName(topicElement, head);
  const path = [local, ...rest].join("/");
  // An undeclared prefix stays as the device wrote it.
  const topic = ns === EVENT_NS.tns1 ? `tns1:${path}` : ns === "" ? topicText : `{${ns}}${path}`;
  const inner = descend(message, [EVENT_NS.wsnt, "Message"], [NS.tt, "Message"]);
  const operation = attr(inner, "PropertyOperation");
  const utcMs = Date.parse(attr(inner, "UtcTime") ?? "");
  return {
    topic: topic.slice(0, MAX_TEXT),
    utcMs: Number.isFinite(utcMs) ? utcMs : undefined,
    operation:
      operation === "Initialized" || operation === "Changed" || operation === "Deleted"
        ? operation
        : undefined,
    source: items(child(inner, NS.tt, "Source")),
    data: items(child(inner, NS.tt, "Data")),
  };
}
