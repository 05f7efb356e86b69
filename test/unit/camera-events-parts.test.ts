import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, EventNormaliser } from "../../src/camera-events/index.js";
import { readNotification } from "../../src/camera-events/pullpoint.js";
import { parseXml } from "../../src/onvif/xml.js";

const WSNT = "http://docs.oasis-open.org/wsn/b-2";
const TT = "http://www.onvif.org/ver10/schema";

/** A NotificationMessage as a device writes one, with the prefixes it chose. */
function notification(topic: string, message: string, declarations = ""): string {
  return (
    `<wsnt:NotificationMessage xmlns:wsnt="${WSNT}" xmlns:tt="${TT}" ${declarations}>` +
    `<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>` +
    `<wsnt:Message>${message}</wsnt:Message></wsnt:NotificationMessage>`
  );
}

const read = (xml: string) => readNotification(parseXml(xml, { ...LIMITS }));
const LIMITS = { maxBytes: 1 << 20, maxDepth: 32, maxElements: 10_000, lenientPrefixes: true };

describe("camera events: topics and notifications", () => {
  it("classifies the common ONVIF topics and vendor variants", () => {
    const cases: [string, string | undefined][] = [
      ["tns1:RuleEngine/CellMotionDetector/Motion", "motion"],
      ["tns1:VideoSource/MotionAlarm", "motion"],
      ["tnshik:RuleEngine/MotionDetection", "motion"],
      ["tns1:RuleEngine/TamperDetector/Tamper", "tamper"],
      ["tns1:VideoSource/GlobalSceneChange/ImagingService", "tamper"],
      ["tns1:VideoSource/ImageTooDark/AnalyticsService", "tamper"],
      ["tns1:VideoSource/ImageTooBlurry/ImagingService", "tamper"],
      ["tns1:RuleEngine/FieldDetector/ObjectsInside", "intrusion"],
      ["{http://www.hikvision.com/2011/event/topics}RuleEngine/Intrusion", "intrusion"],
      ["tns1:RuleEngine/LineDetector/Crossed", "line-crossing"],
      ["tns1:Device/Trigger/DigitalInput", "digital-input"],
      ["tns1:Monitoring/ProcessorUsage", undefined],
    ];
    for (const [topic, kind] of cases) assert.equal(classify(topic), kind, topic);
  });

  it("reads a notification whatever the prefixes, undeclared ones kept as written, items bounded", () => {
    const message =
      `<tt:Message UtcTime="2026-11-23T08:00:01.250Z" PropertyOperation="Changed"><tt:Source>` +
      Array.from({ length: 40 }, (_, i) => `<tt:SimpleItem Name="S${i}" Value="v"/>`).join("") +
      `</tt:Source><tt:Data><tt:SimpleItem Name="IsMotion" Value="${"x".repeat(1000)}"/></tt:Data></tt:Message>`;
    const declared = read(
      notification(
        "ev:RuleEngine/CellMotionDetector/Motion",
        message,
        'xmlns:ev="http://www.onvif.org/ver10/topics"',
      ),
    );
    assert.equal(declared?.topic, "tns1:RuleEngine/CellMotionDetector/Motion");
    assert.equal(declared?.utcMs, Date.parse("2026-11-23T08:00:01.250Z"));
    assert.equal(declared?.operation, "Changed");
    assert.equal(Object.keys(declared?.source ?? {}).length, 16);
    assert.equal(declared?.data["IsMotion"]?.length, 256);
    const undeclared = read(notification("tns1:VideoSource/MotionAlarm", message));
    assert.equal(undeclared?.topic, "tns1:VideoSource/MotionAlarm");
    const vendor = read(
      notification("v:Alarm/Custom", message, 'xmlns:v="http://vendor.example/topics"'),
    );
    assert.equal(vendor?.topic, "{http://vendor.example/topics}Alarm/Custom");
    assert.equal(read(notification("", message)), undefined, "no topic, no event");
    const prototype = read(
      notification(
        "tns1:X",
        `<tt:Message><tt:Data><tt:SimpleItem Name="__proto__" Value="1"/></tt:Data></tt:Message>`,
      ),
    );
    assert.deepEqual(Object.keys(prototype?.data ?? {}), []);
  });

  it("makes property events intervals, without duplicates, and stateless ones pulses", () => {
    const normaliser = new EventNormaliser();
    const offset = -3_600_000; // the camera is an hour slow
    const motion = (
      state: string,
      cameraMs: number,
      operation: "Initialized" | "Changed" = "Changed",
    ) => ({
      topic: "tns1:RuleEngine/CellMotionDetector/Motion",
      utcMs: cameraMs,
      operation,
      source: { Rule: "MyMotionDetectorRule" },
      data: { IsMotion: state },
    });
    const t0 = Date.parse("2026-11-23T08:00:00.000Z");
    const initial = normaliser.normalise(motion("false", t0 + offset, "Initialized"), offset, t0);
    assert.equal(initial, undefined, "an initial 'off' is no event");
    const start = normaliser.normalise(motion("true", t0 + 1000 + offset), offset, t0 + 1200);
    assert.deepEqual(
      [start?.kind, start?.detail["phase"], start?.tsMs],
      ["motion", "start", t0 + 1000],
    );
    assert.equal(
      normaliser.normalise(motion("true", t0 + 2000 + offset, "Initialized"), offset, t0 + 2100),
      undefined,
      "the same state after a re-subscription is no new start",
    );
    const end = normaliser.normalise(motion("false", t0 + 6000 + offset), offset, t0 + 6100);
    assert.deepEqual(
      [end?.detail["phase"], end?.detail["durationMs"], end?.detail["startedAt"]],
      ["end", 5000, new Date(t0 + 1000).toISOString()],
    );
    // A camera time beyond belief, or later than receipt, gives way to the receive time.
    const late = normaliser.normalise(motion("true", t0 + 9_000_000_000), 0, t0 + 7000);
    assert.equal(late?.tsMs, t0 + 7000);
    const crossed = normaliser.normalise(
      {
        topic: "tns1:RuleEngine/LineDetector/Crossed",
        utcMs: undefined,
        operation: undefined,
        source: {},
        data: { ObjectId: "3" },
      },
      0,
      t0 + 8000,
    );
    assert.deepEqual(
      [crossed?.kind, crossed?.detail["phase"], crossed?.tsMs],
      ["line-crossing", "pulse", t0 + 8000],
    );
    const input = normaliser.normalise(
      {
        topic: "tns1:Device/Trigger/DigitalInput",
        utcMs: t0 + 9000,
        operation: "Changed",
        source: { InputToken: "DI_1" },
        data: { LogicalState: "true" },
      },
      0,
      t0 + 9000,
    );
    assert.deepEqual([input?.kind, input?.detail["phase"]], ["digital-input", "start"]);

    // Other properties: news when their value changes; the device's own health is not kept.
    const counter = (count: string, operation: "Initialized" | "Changed") => ({
      topic: "{http://vendor.example/topics}Analytics/PeopleCount",
      utcMs: t0 + 10_000,
      operation,
      source: { Area: "gate" },
      data: { Count: count },
    });
    assert.equal(
      normaliser.normalise(counter("3", "Initialized"), 0, t0 + 10_000)?.kind,
      "camera-other",
    );
    assert.equal(normaliser.normalise(counter("3", "Initialized"), 0, t0 + 11_000), undefined);
    assert.equal(
      normaliser.normalise(counter("4", "Changed"), 0, t0 + 12_000)?.detail["phase"],
      "pulse",
    );
    const usage = {
      topic: "tns1:Monitoring/ProcessorUsage",
      utcMs: t0,
      operation: "Changed" as const,
      source: {},
      data: { Value: "42" },
    };
    assert.equal(normaliser.normalise(usage, 0, t0 + 13_000), undefined);
  });
});
