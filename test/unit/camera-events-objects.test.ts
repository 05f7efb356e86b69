import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, EventNormaliser } from "../../src/camera-events/index.js";
import { MAX_OBJECT_TEXT, objectOf } from "../../src/camera-events/normalise.js";
import { subscriptionGone } from "../../src/camera-events/subscription.js";
import { OnvifCallError } from "../../src/discovery/errors.js";
import { addressingHeader } from "../../src/discovery/soap-client.js";
import { parseXml } from "../../src/onvif/xml.js";

const fault = (subcodes: string[]) =>
  new OnvifCallError("fault", "f", {
    fault: { code: "Sender", subcodes, reason: "", notAuthorized: false },
  });

describe("camera events: analytics objects and ended pull points", () => {
  it("classifies object detectors as objects, and keeps a counter or a field rule what it was", () => {
    const cases: [string, string | undefined][] = [
      ["tns1:RuleEngine/ObjectDetection/Object", "object"],
      ["tns1:RuleEngine/HumanDetection/Detected", "object"],
      ["{http://vendor.example/topics}Analytics/LicensePlateRecognition", "object"],
      ["{http://vendor.example/topics}RuleEngine/VehicleDetector", "object"],
      ["tnsvendor:IVS/FaceRecognition", "object"],
      ["{http://vendor.example/topics}Analytics/PeopleCount", undefined],
      ["tns1:RuleEngine/FieldDetector/ObjectsInside", "intrusion"],
      ["tns1:RuleEngine/CellMotionDetector/Motion", "motion"],
    ];
    for (const [topic, kind] of cases) assert.equal(classify(topic), kind, topic);
  });

  it("takes an object's class from its items, else from its topic, and its text bounded and printable", () => {
    const topic = "tns1:RuleEngine/ObjectDetection/Object";
    assert.deepEqual(objectOf(topic, { ClassTypes: "Human" }), { class: "human" });
    assert.deepEqual(objectOf(topic, { ObjectType: "Vehical" }), { class: "vehicle" });
    assert.deepEqual(objectOf(topic, { Class: "Face" }), { class: "face" });
    assert.deepEqual(objectOf(topic, { ClassTypes: "Animal" }), { class: "other" });
    assert.deepEqual(objectOf(topic, { PlateNumber: "51F-999.99" }), {
      class: "plate",
      text: "51F-999.99",
    });
    assert.deepEqual(objectOf("tns1:RuleEngine/HumanDetection/Detected", {}), { class: "human" });
    const hostile = objectOf(topic, {
      ClassTypes: "LicensePlate",
      PlateNumber: `<script>"${"9".repeat(500)}\u0000`,
    });
    assert.equal(hostile.class, "plate");
    assert.match(hostile.text ?? "", /^script9+$/);
    assert.equal(hostile.text?.length, MAX_OBJECT_TEXT);
  });

  it("makes each object a pulse with its class, a stateful one an interval", () => {
    const normaliser = new EventNormaliser();
    const t0 = Date.UTC(2026, 11, 3, 4, 0, 0);
    const seen = normaliser.normalise(
      {
        topic: "tns1:RuleEngine/ObjectDetection/Object",
        utcMs: t0,
        operation: undefined,
        source: { Rule: "ObjectDetection" },
        data: { ObjectId: "7", ClassTypes: "LicensePlate", PlateNumber: "30A-123.45" },
      },
      0,
      t0,
    );
    assert.equal(seen?.kind, "object");
    assert.equal(seen?.detail["phase"], "pulse");
    assert.deepEqual(seen?.detail["object"], { class: "plate", text: "30A-123.45" });
    const human = (state: string, ms: number) =>
      normaliser.normalise(
        {
          topic: "tns1:RuleEngine/HumanDetection/Detected",
          utcMs: ms,
          operation: "Changed",
          source: {},
          data: { State: state },
        },
        0,
        ms,
      );
    assert.equal(human("true", t0)?.detail["phase"], "start");
    const end = human("false", t0 + 4000);
    assert.deepEqual(
      [end?.kind, end?.detail["phase"], end?.detail["durationMs"]],
      ["object", "end", 4000],
    );
  });

  it("tells a pull point that is gone from a failure", () => {
    assert.equal(subscriptionGone(fault(["ResourceUnknownFault"])), true);
    assert.equal(subscriptionGone(fault(["SubscriptionReferenceDereferenced"])), true);
    assert.equal(subscriptionGone(new OnvifCallError("http", "404", { status: 404 })), true);
    assert.equal(subscriptionGone(fault(["ActionNotSupported"])), false);
    assert.equal(subscriptionGone(new OnvifCallError("http", "500", { status: 500 })), false);
    assert.equal(subscriptionGone(new OnvifCallError("timeout", "t")), false);
    assert.equal(subscriptionGone(new Error("x")), false);
  });

  it("writes WS-Addressing headers a device can read, the address escaped and a fresh MessageID each time", () => {
    const to = "http://127.0.0.1/onvif/Subscription?Idx=1&x=<y>";
    const header = () =>
      parseXml(
        `<s:Header xmlns:s="http://www.w3.org/2003/05/soap-envelope">${addressingHeader({ to, action: "urn:a" })}</s:Header>`,
        { maxBytes: 1 << 16, maxDepth: 8, maxElements: 100 },
      );
    const one = header();
    const text = (name: string) =>
      one.children.find((element) => element.local === name)?.text ?? "";
    assert.equal(text("To"), to);
    assert.equal(text("Action"), "urn:a");
    assert.match(text("MessageID"), /^urn:uuid:[0-9a-f-]{36}$/);
    const other = header().children.find((element) => element.local === "MessageID")?.text;
    assert.notEqual(other, text("MessageID"));
    assert.ok(one.children.some((element) => element.local === "ReplyTo"));
  });
});
