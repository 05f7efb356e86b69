import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  authorize,
  COMMANDS,
  CommandRefusedError,
  MAX_COMMAND_BYTES,
} from "../../src/commands/index.js";
import { decode } from "../../src/commands/command-service.js";
import { expectTyped, fuzz } from "./harness.js";

const NAMES = Object.keys(COMMANDS);
const NOW = Date.parse("2026-11-23T10:00:00Z");

/** Payloads near the valid ones: right keys with wrong or edge values, extra keys, wrong types. */
const instant = fc.oneof(
  fc
    .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    "2026-11-23T10:00:00+07:00",
    "2026-02-30T00:00:00Z",
    "",
    "now",
    "9999-12-31T23:59:59Z",
  ),
  fc.string({ maxLength: 40 }),
);
const field = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.json(),
);
const nearValid = fc.record(
  {
    camera: fc.oneof(
      fc.constantFrom("cam-1", "../etc", "a".repeat(129), ""),
      fc.string({ maxLength: 20 }),
    ),
    from: instant,
    to: instant,
    until: instant,
    reason: fc.string({ maxLength: 600 }),
    seconds: fc.oneof(fc.integer({ min: -5, max: 700 }), fc.double(), fc.string()),
    requester: fc.string({ maxLength: 200 }),
    purpose: fc.string({ maxLength: 600 }),
    issuedAt: instant,
    expiresAt: instant,
    nonce: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/), fc.string({ maxLength: 140 })),
    extra: field,
  },
  { requiredKeys: [] },
);
const payload = fc.oneof(
  { weight: 4, arbitrary: nearValid.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 6 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: "binary" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "{",
      "[]",
      "null",
      '{"__proto__":{"x":1}}',
      "1e999",
      " ".repeat(MAX_COMMAND_BYTES + 1),
    ),
  },
);

describe("fuzzing: the MQTT command decoder and validator", () => {
  it("decode() returns a valid command or refuses with a code; authorize() the same", async () => {
    const nonces = new Set<string>();
    const claim = { claim: (nonce: string) => !nonces.has(nonce) && Boolean(nonces.add(nonce)) };
    const input = fc.record({
      name: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...NAMES) },
        fc.string({ maxLength: 80 }),
      ),
      payload,
      signature: fc.option(fc.base64String({ maxLength: 400 }), { nil: undefined }),
    });
    await fuzz(
      "commands",
      input,
      ({ name, payload: text, signature }) => {
        try {
          const decoded = decode(name, Buffer.from(text, "utf8"));
          assert.ok(NAMES.includes(decoded.name));
          assert.ok(Buffer.byteLength(text) <= MAX_COMMAND_BYTES);
          const args = decoded.args;
          if (!COMMANDS[decoded.name].video) return;
          authorize({
            site: "fuzz-site",
            command: decoded.name,
            payload: JSON.parse(text) as unknown,
            fields: args as never,
            signature,
            signingKey: undefined,
            nonces: claim,
            nowMs: NOW,
          });
        } catch (error) {
          expectTyped(error, CommandRefusedError);
          assert.match((error as CommandRefusedError).code, /^[a-z_]+$/);
          assert.ok((error as Error).message.length <= 1100, "a bounded refusal");
        }
      },
      { seed: 0xc0de, numRuns: 4000 },
    );
  });
});
