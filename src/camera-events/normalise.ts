import type { RawNotification } from "./pullpoint.js";

/** What a camera detected, told apart from the box's own events (snake_case) by these names. */
export type CameraEventKind =
  "motion" | "tamper" | "intrusion" | "line-crossing" | "digital-input" | "object";
export const CAMERA_EVENT_KINDS: readonly string[] = [
  "motion",
  "tamper",
  "intrusion",
  "line-crossing",
  "digital-input",
  "object",
  "camera-other",
];

interface Rule {
  kind: CameraEventKind;
  /** Matched against the topic path without its namespace prefix. */
  path: RegExp;
}

/**
 * Common ONVIF topics (ONVIF topic namespace) and the vendor variants seen in the field. Object
 * detectors come first: "HumanDetection/Intrusion" is a person, with the class kept.
 */
const RULES: readonly Rule[] = [
  { kind: "object", path: /(^|\/)ObjectDetect(ion|or)(\/|$)/i },
  {
    kind: "object",
    path: /(^|\/)(Human|Person|Vehicle|Face|LicensePlate|Plate)(Detect|Recogni|\/|$)/i,
  },
  { kind: "object", path: /(^|\/)(LPR|ANPR|FaceRecognition)(\/|$)/i },
  { kind: "motion", path: /^RuleEngine\/CellMotionDetector\/Motion$/i },
  { kind: "motion", path: /^VideoSource\/MotionAlarm$/i },
  { kind: "motion", path: /(^|\/)Motion(Alarm|Detection|Detector)?$/i },
  { kind: "tamper", path: /^RuleEngine\/TamperDetector\/Tamper$/i },
  { kind: "tamper", path: /^VideoSource\/GlobalSceneChange(\/|$)/i },
  { kind: "tamper", path: /^VideoSource\/ImageToo(Dark|Bright|Blurry)(\/|$)/i },
  { kind: "tamper", path: /(^|\/)Tamper(Detector|Detection)?$/i },
  { kind: "intrusion", path: /^RuleEngine\/FieldDetector\/ObjectsInside$/i },
  { kind: "intrusion", path: /(^|\/)(Intrusion|FieldDetection|RegionEntrance)/i },
  { kind: "line-crossing", path: /^RuleEngine\/LineDetector\/Crossed$/i },
  { kind: "line-crossing", path: /(^|\/)(LineCrossing|LineDetection|Tripwire)/i },
  { kind: "digital-input", path: /^Device\/Trigger\/DigitalInput$/i },
];

/** Data items that carry a detector's state, most specific first. */
const STATE_ITEMS = [
  "IsMotion",
  "IsTamper",
  "IsInside",
  "LogicalState",
  "State",
  "IsTooDark",
  "IsDetected",
];

function pathOf(topic: string): string {
  return topic.replace(/^\{[^}]*\}/, "").replace(/^[^/:]+:/, "");
}

export function classify(topic: string): CameraEventKind | undefined {
  const path = pathOf(topic);
  return RULES.find((rule) => rule.path.test(path))?.kind;
}

/** The classes of analytics objects the center is told apart; anything else is "other". */
export type ObjectClass = "human" | "vehicle" | "face" | "plate" | "other";
const CLASS_WORDS: readonly [ObjectClass, RegExp][] = [
  ["plate", /plate|lpr|anpr/i],
  ["face", /face/i],
  ["human", /human|person|people|pedestrian/i],
  ["vehicle", /vehicle|vehical|car|truck|bus|motorcycle|bicycle|bike/i],
];
/** Items that name the class (ONVIF tt:ClassType and what vendors use instead). */
const CLASS_ITEMS = ["ClassTypes", "ClassType", "Class", "ObjectType", "Type", "Category"];
/** Items that carry recognised text: a plate's number above all. */
const TEXT_ITEMS = ["PlateNumber", "LicensePlate", "Plate", "PlateText", "Text", "Label"];
export const MAX_OBJECT_TEXT = 32;

function classOf(value: string | undefined): ObjectClass | undefined {
  if (!value) return undefined;
  return CLASS_WORDS.find(([, words]) => words.test(value))?.[0];
}

/** An analytics object's class and text, from its items, else from its topic. */
export function objectOf(
  topic: string,
  data: Record<string, string>,
): { class: ObjectClass; text?: string } {
  const named = CLASS_ITEMS.map((item) => classOf(data[item])).find((found) => found);
  const raw = TEXT_ITEMS.map((item) => data[item]?.trim()).find((value) => value);
  // Printable characters only, short: a plate is a few letters and digits.
  const text = raw?.replace(/[^\p{L}\p{N} .-]/gu, "").slice(0, MAX_OBJECT_TEXT) || undefined;
  const found = named ?? (text ? "plate" : classOf(pathOf(topic))) ?? "other";
  return text ? { class: found, text } : { class: found };
}

function booleanOf(value: string | undefined): boolean | undefined {
  const lowered = value?.toLowerCase();
  if (lowered === "true" || lowered === "1" || lowered === "active") return true;
  if (lowered === "false" || lowered === "0" || lowered === "inactive") return false;
  return undefined;
}

function stateOf(data: Record<string, string>): boolean | undefined {
  for (const name of STATE_ITEMS) {
    const state = booleanOf(data[name]);
    if (state !== undefined) return state;
  }
  const values = Object.values(data);
  return values.length === 1 ? booleanOf(values[0]) : undefined;
}

/** One row for the events table: a camera event, its time corrected to the box's clock. */
export interface CameraEvent {
  tsMs: number;
  kind: CameraEventKind | "camera-other";
  detail: Record<string, unknown>;
}

interface OpenInterval {
  on: boolean;
  sinceMs: number;
}

/**
 * The device's own health (processor, memory, fan...), reported every few seconds by some
 * cameras: not a detection, and the box reports its own health already.
 */
const IGNORED = /^tns1:Monitoring\//i;

const MAX_TRACKED = 256;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Turns a camera's notifications into events. A property (a detector with a state) becomes an
 * interval: `start` when it turns on, `end` with the duration when it turns off, nothing when a
 * notification repeats the state it is in (Initialized after every (re)subscription does). A
 * notification without a state is a single `pulse`. State is kept per camera across
 * subscriptions, so a re-subscription neither repeats nor loses a change.
 */
export class EventNormaliser {
  readonly #states = new Map<string, OpenInterval>();
  /** The last values of properties that have no on/off state, by topic and source. */
  readonly #values = new Map<string, string>();

  /**
   * `clockOffsetMs`: the camera's clock minus ours; `receivedMs`: when the box got it. An event
   * without a camera time (or with one beyond belief) is placed at the receive time.
   */
  normalise(
    notification: RawNotification,
    clockOffsetMs: number,
    receivedMs: number,
  ): CameraEvent | undefined {
    if (IGNORED.test(notification.topic)) return undefined;
    const kind = classify(notification.topic);
    const corrected =
      notification.utcMs === undefined ? undefined : notification.utcMs - clockOffsetMs;
    const tsMs =
      corrected !== undefined && Math.abs(corrected - receivedMs) < 24 * 3_600_000
        ? Math.min(corrected, receivedMs)
        : receivedMs;
    const base = {
      ...(kind === "object" ? { object: objectOf(notification.topic, notification.data) } : {}),
      topic: notification.topic,
      source: notification.source,
      data: notification.data,
      cameraTime: notification.utcMs === undefined ? null : iso(notification.utcMs),
      receivedAt: iso(receivedMs),
      clockOffsetMs,
    };
    const key = `${notification.topic}|${JSON.stringify(notification.source)}`;
    // A crossing or a recognised object is a moment, whatever items it carries.
    const state =
      kind === "line-crossing" || (kind === "object" && notification.operation === undefined)
        ? undefined
        : stateOf(notification.data);
    if (state === undefined || notification.operation === "Deleted") {
      // A property without an on/off state is news only when its value changes.
      if (notification.operation !== undefined && notification.operation !== "Deleted") {
        const values = JSON.stringify(notification.data);
        if (this.#values.get(key) === values) return undefined;
        this.#bounded(this.#values, key, values);
      }
      return { tsMs, kind: kind ?? "camera-other", detail: { phase: "pulse", ...base } };
    }
    const previous = this.#states.get(key);
    if ((previous?.on ?? false) === state) {
      if (!previous) this.#remember(key, { on: state, sinceMs: tsMs });
      return undefined;
    }
    this.#remember(key, { on: state, sinceMs: tsMs });
    if (state) {
      return { tsMs, kind: kind ?? "camera-other", detail: { phase: "start", ...base } };
    }
    const startedMs = previous?.sinceMs ?? tsMs;
    return {
      tsMs,
      kind: kind ?? "camera-other",
      detail: {
        phase: "end",
        ...base,
        startedAt: iso(startedMs),
        durationMs: Math.max(0, tsMs - startedMs),
      },
    };
  }

  #remember(key: string, interval: OpenInterval): void {
    this.#bounded(this.#states, key, interval);
  }

  /** Sets `key` as the newest entry; the oldest goes when there are too many. */
  #bounded<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_TRACKED) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
