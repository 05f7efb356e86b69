import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Parser } from "@asyncapi/parser";
import { COMMANDS } from "../../src/commands/index.js";
import {
  CENTER_PAYLOAD_SCHEMAS,
  canonicalJson,
  commandSigningInput,
  PAYLOAD_SCHEMAS,
} from "../../src/protocol/index.js";
import { accessEntryHash, type AccessRecord } from "../../src/store/index.js";
import { EventNormaliser } from "../../src/camera-events/index.js";
import { accessBody, eventBody } from "../../src/uplink/bodies.js";
import { AsyncApiContract, type WireMessage } from "../helpers/asyncapi.js";
import { REPO_ROOT } from "../helpers/cli.js";

const DOCUMENT = join(REPO_ROOT, "docs/asyncapi.yaml");
/** The parser's DiagnosticSeverity (from @stoplight/types): Error 0, Warning 1, Information 2. */
const ERROR = 0;
const WARNING = 1;

/** The access-log hash as the document states it, from a published payload alone. */
function documentedHash(payload: Record<string, unknown>): string {
  const { schema: _schema, ts: _ts, hash: _hash, ...hashed } = payload;
  return createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex");
}

const ROOT = "camgate/v1/site-a";
const JSON_TYPE = "application/json";

/** A message as the box sends it on `topic`, with what the document requires of that channel. */
function wire(topic: string, payload: unknown, changes: Partial<WireMessage> = {}): WireMessage {
  return {
    topic: `${ROOT}/${topic}`,
    qos: 1,
    retain: false,
    contentType: JSON_TYPE,
    userProperties: {},
    payload: Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
    ...changes,
  };
}

const STATUS = {
  schema: "camgate.status/1",
  state: "offline",
  siteId: "site-a",
  version: "1.0.0",
  startedAt: "2026-11-23T08:00:00.000Z",
  ts: "2026-11-23T08:00:01.000Z",
  lastWill: true,
};
const CLIP_RESULT = {
  queued: 1,
  segments: [
    {
      id: 7,
      start: "2026-11-23T08:00:00.000Z",
      end: "2026-11-23T08:00:10.000Z",
      bytes: 0,
      sha256: null,
    },
  ],
};
const CHUNK_HEADERS = {
  "segment-id": "7",
  chunk: "0",
  chunks: "1",
  "chunk-bytes": "16384",
  bytes: "0",
  sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  start: "2026-11-23T08:00:00.000Z",
  end: "2026-11-23T08:00:10.000Z",
};

describe("docs/asyncapi.yaml", () => {
  it("is a valid AsyncAPI document for the AsyncAPI project's own parser", async () => {
    const { document, diagnostics } = await new Parser().parse(await readFile(DOCUMENT, "utf8"));
    const errors = diagnostics
      .filter((diagnostic) => Number(diagnostic.severity) === ERROR)
      .map((diagnostic) => `${diagnostic.path.join(".")}: ${diagnostic.message}`);
    assert.deepEqual(errors, []);
    assert.ok(document, "the parser returned a document");
    const warnings = diagnostics.filter((d) => Number(d.severity) === WARNING);
    assert.deepEqual(
      warnings.map((d) => `${d.path.join(".")}: ${d.message}`),
      [],
    );
  });

  it("names every command the box obeys and every payload schema it sends", async () => {
    const contract = await AsyncApiContract.load();
    assert.deepEqual(contract.commandNames().sort(), Object.keys(COMMANDS).sort());
    assert.deepEqual(contract.resultSchemas().sort(), Object.keys(COMMANDS).sort());
    assert.deepEqual(
      contract.payloadSchemaIds().sort(),
      [...Object.values(PAYLOAD_SCHEMAS), ...Object.values(CENTER_PAYLOAD_SCHEMAS)].sort(),
    );
  });

  it("states the access-log hash exactly enough to re-compute it, as the box computes it", async () => {
    const contract = await AsyncApiContract.load();
    const [example] = contract.schemaExamples("AccessPayload");
    assert.ok(example, "AccessPayload has an example");
    assert.deepEqual(contract.payloadProblems(example), []);
    assert.equal(documentedHash(example), example["hash"]);
    // The box's own hash and body of the same entry.
    const record: AccessRecord = {
      seq: example["seq"] as number,
      prevHash: example["prevHash"] as string,
      tsMs: example["tsMs"] as number,
      actor: example["actor"] as string,
      action: example["action"] as string,
      target: example["target"] as string,
      purpose: example["purpose"] as string,
      result: example["result"] as string,
      detail: example["detail"] as Record<string, unknown>,
      hash: "",
    };
    const { seq, prevHash, hash: _hash, ...entry } = record;
    assert.equal(accessEntryHash(seq, prevHash, entry), example["hash"]);
    const body: Record<string, unknown> = {
      schema: PAYLOAD_SCHEMAS.access,
      ...accessBody({ ...record, hash: "x" }),
    };
    assert.equal(documentedHash(body), example["hash"]);
    assert.equal(body["ts"], example["ts"]);
  });

  it("shows the bytes a command signature covers, as the box and the center build them", async () => {
    const text = await readFile(DOCUMENT, "utf8");
    const contract = await AsyncApiContract.load();
    const [example] = contract.messageExamples("recordingsLock");
    assert.ok(example, "recordingsLock has an example");
    const signed = canonicalJson(commandSigningInput("hn-bd-0001", "recordings.lock", example));
    assert.ok(text.includes(`\`${signed}\``), `the document shows ${signed}`);
    assert.ok(signed.includes("Nguyễn Thị Hằng"), "Vietnamese text stays as it is");
    assert.deepEqual(COMMANDS["recordings.lock"].schema.safeParse(example).success, true);
  });

  it("as a checker, refuses what the document does not allow", async () => {
    const contract = await AsyncApiContract.load();
    const fits = (message: WireMessage) => contract.problems(message).length === 0;
    // Replies go through the outbox: a msg-id and an expiry (15 min or the command's validity).
    const reply = (body: Record<string, unknown>) =>
      wire(
        "reply/center",
        { schema: "camgate.reply/1", ...body },
        { messageExpiryInterval: 900, userProperties: { "msg-id": "0123456789abcdef-7" } },
      );
    assert.equal(fits(wire("status", STATUS, { retain: true })), true);
    assert.equal(fits(wire("status", STATUS)), false, "status is retained");
    assert.equal(fits(wire("status", STATUS, { retain: true, contentType: undefined })), false);
    assert.equal(fits(wire("status", { ...STATUS, lastWill: false }, { retain: true })), false);
    const event = {
      schema: "camgate.event/1",
      id: 1,
      ts: STATUS.ts,
      cameraId: null,
      kind: "disk_full",
      detail: {},
    };
    const msgId = { "msg-id": "0123456789abcdef-42" };
    assert.equal(fits(wire("events", event, { userProperties: msgId })), true);
    assert.equal(fits(wire("events", event)), false, "outbox messages carry msg-id");
    assert.equal(
      fits(wire("events", event, { userProperties: msgId, messageExpiryInterval: 60 })),
      false,
      "only health expires",
    );
    assert.equal(fits(reply({ command: "clip.request", ok: true, result: CLIP_RESULT })), true);
    const replyWithoutExpiry = wire("reply/center", {
      schema: "camgate.reply/1",
      command: "clip.request",
      ok: true,
      result: CLIP_RESULT,
    });
    assert.equal(fits(replyWithoutExpiry), false, "a reply says how long it is worth having");
    assert.equal(fits(reply({ command: "clip.request", ok: true, result: { queued: 1 } })), false);
    assert.equal(fits(reply({ command: "live.stop", ok: true, result: CLIP_RESULT })), false);
    assert.equal(fits(reply({ command: "status.get", ok: true, result: {} })), false);
    assert.equal(fits(reply({ command: "status.get", ok: false })), false, "a refusal says why");
    assert.equal(
      fits(reply({ command: "x", ok: false, error: { code: "bad_response_topic", message: "" } })),
      true,
    );
    const chunk = (headers: Record<string, string>, contentType = "video/mp2t") =>
      wire("cameras/cam-1/video/7", "", { userProperties: headers, contentType });
    assert.equal(fits(chunk(CHUNK_HEADERS)), true);
    assert.equal(fits(chunk({ ...CHUNK_HEADERS, sha256: "A".repeat(64) })), false);
    assert.equal(fits(chunk(CHUNK_HEADERS, JSON_TYPE)), false);
    assert.equal(fits(wire("cameras/cam-1/video/7/8", "")), false, "no such channel");
    assert.equal(fits(wire("cmd/status.get", {})), false, "the box does not send commands");
  });
  // Issue 26: camera events share the camera's events channel, told apart by kind.
  it("describes camera events: intervals and pulses as the normaliser makes them", async () => {
    const contract = await AsyncApiContract.load();
    const msgId = { "msg-id": "0123456789abcdef-43" };
    const normaliser = new EventNormaliser();
    const motion = (on: boolean, utcMs: number) => ({
      topic: "tns1:VideoSource/MotionAlarm",
      utcMs,
      operation: "Changed" as const,
      source: { Source: "VideoSource_1" },
      data: { State: String(on) },
    });
    const t0 = Date.parse(STATUS.ts);
    const made = [
      normaliser.normalise(motion(true, t0 + 7_200_000), 7_200_000, t0 + 50),
      normaliser.normalise(motion(false, t0 + 7_204_000), 7_200_000, t0 + 4050),
      normaliser.normalise(
        {
          topic: "tns1:RuleEngine/LineDetector/Crossed",
          utcMs: undefined,
          operation: undefined,
          source: {},
          data: { ObjectId: "12" },
        },
        0,
        t0 + 5000,
      ),
    ];
    type Payload = Record<string, unknown> & { kind: string; detail: Record<string, unknown> };
    const payloads = made.map((event, index): Payload => ({
      schema: "camgate.event/1",
      kind: "",
      detail: {},
      ...eventBody({
        id: index + 1,
        tsMs: event!.tsMs,
        cameraId: "cam-1",
        kind: event!.kind,
        detail: event!.detail,
      }),
    }));
    assert.deepEqual(
      payloads.map((payload) => [payload.kind, payload.detail["phase"]]),
      [
        ["motion", "start"],
        ["motion", "end"],
        ["line-crossing", "pulse"],
      ],
    );
    for (const payload of payloads) {
      const problems = contract.problems(
        wire("cameras/cam-1/events", payload, { userProperties: msgId }),
      );
      assert.deepEqual(problems, [], JSON.stringify(payload));
    }
    const [, end] = payloads;
    const { durationMs: _duration, ...withoutDuration } = end!.detail;
    const broken = { ...end!, detail: withoutDuration };
    assert.notDeepEqual(
      contract.problems(wire("cameras/cam-1/events", broken, { userProperties: msgId })),
      [],
      "an end carries its duration",
    );
  });
});
