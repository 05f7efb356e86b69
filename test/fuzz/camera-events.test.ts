import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { EventNormaliser } from "../../src/camera-events/index.js";
import { PullPointError } from "../../src/camera-events/errors.js";
import { readPulled } from "../../src/camera-events/pullpoint.js";
import { DEFAULT_XML_LIMITS, parseXml, XmlError } from "../../src/onvif/index.js";
import { expectTyped, fuzz, mutated } from "./harness.js";

const NOTIFICATION = (topic: string, item: string, value: string, operation = "Changed") =>
  `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>` +
  `<wsnt:Message><tt:Message UtcTime="2026-11-23T08:00:01.250Z" PropertyOperation="${operation}">` +
  `<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="1"/><tt:SimpleItem Name="Rule" Value="R"/></tt:Source>` +
  `<tt:Data><tt:SimpleItem Name="${item}" Value="${value}"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`;

const REPLY = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
  `xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ` +
  `xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics"><s:Body>` +
  `<tev:PullMessagesResponse><tev:CurrentTime>2026-11-23T08:00:02Z</tev:CurrentTime>` +
  `<tev:TerminationTime>2026-11-23T08:01:02Z</tev:TerminationTime>${body}</tev:PullMessagesResponse></s:Body></s:Envelope>`;

/** Replies of the two flavours the simulator serves, and of vendor variants. */
const SEEDS = [
  REPLY(NOTIFICATION("tns1:RuleEngine/CellMotionDetector/Motion", "IsMotion", "true")),
  REPLY(
    NOTIFICATION("tns1:VideoSource/MotionAlarm", "State", "false", "Initialized") +
      NOTIFICATION("tns1:RuleEngine/LineDetector/Crossed", "ObjectId", "7", ""),
  ),
  REPLY(NOTIFICATION("tns1:Device/Trigger/DigitalInput", "LogicalState", "true")),
  REPLY(""),
];

describe("fuzzing: what a camera's event service answers to PullMessages", () => {
  it("readPulled and the normaliser: bounded events, or a typed error", async () => {
    const input = fc.oneof(
      { weight: 4, arbitrary: mutated(SEEDS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 2000 }) },
    );
    await fuzz(
      "pull-messages",
      input,
      (text) => {
        const normaliser = new EventNormaliser();
        try {
          const pulled = readPulled(
            parseXml(text, { ...DEFAULT_XML_LIMITS, lenientPrefixes: true }),
            8,
            "127.0.0.9",
          );
          assert.ok(pulled.notifications.length <= 8);
          for (const notification of pulled.notifications) {
            assert.ok(notification.topic.length <= 256);
            for (const items of [notification.source, notification.data]) {
              assert.ok(Object.keys(items).length <= 16);
              for (const value of Object.values(items)) assert.ok(value.length <= 256);
            }
            const event = normaliser.normalise(notification, 3_600_000, 1_795_000_000_000);
            if (!event) continue;
            assert.ok(Number.isFinite(event.tsMs) && event.tsMs <= 1_795_000_000_000);
            assert.ok(JSON.stringify(event.detail).length < 16 * 1024);
          }
        } catch (error) {
          expectTyped(error, XmlError, PullPointError);
        }
      },
      { seed: 0x2626, numRuns: 3000 },
    );
  });
});
