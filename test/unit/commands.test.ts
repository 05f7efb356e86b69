import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import {
  authorize,
  CommandRefusedError,
  decode,
  MAX_COMMAND_BYTES,
} from "../../src/commands/index.js";
import { WakeUp } from "../../src/lifecycle/index.js";
import {
  parseChunkHeader,
  signCommand,
  signPayload,
  parseMediaTopic,
  parseTopic,
  SiteTopics,
} from "../../src/protocol/index.js";
import { TokenBucket } from "../../src/uplink/index.js";

const NOW = Date.parse("2026-11-23T08:00:00Z");

function fields(overrides: Record<string, unknown> = {}) {
  return {
    requester: "officer",
    purpose: "case 17",
    issuedAt: new Date(NOW - 60_000).toISOString(),
    expiresAt: new Date(NOW + 600_000).toISOString(),
    nonce: "n".repeat(16),
    ...overrides,
  };
}

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof CommandRefusedError, String(error));
    return error.code;
  }
  return "accepted";
}

class Nonces {
  readonly seen = new Set<string>();
  claim(nonce: string): boolean {
    if (this.seen.has(nonce)) return false;
    this.seen.add(nonce);
    return true;
  }
}

describe("command decoding", () => {
  it("refuses oversize, unknown, non-JSON and invalid payloads, naming the key", () => {
    const payload = (value: unknown) => Buffer.from(JSON.stringify(value));
    assert.equal(
      refusal(() => decode("status.get", Buffer.alloc(MAX_COMMAND_BYTES + 1))),
      "too_large",
    );
    assert.equal(
      refusal(() => decode("camera.reboot", payload({}))),
      "unknown_command",
    );
    assert.equal(
      refusal(() => decode("__proto__", payload({}))),
      "unknown_command",
    );
    assert.equal(
      refusal(() => decode("clip.request", Buffer.from("{"))),
      "bad_request",
    );
    assert.equal(
      refusal(() => decode("status.get", payload({ extra: 1 }))),
      "bad_request",
    );
    assert.throws(
      () => decode("live.start", payload({ camera: "cam 1", seconds: 9000, ...fields() })),
      (error: CommandRefusedError) =>
        error.code === "bad_request" &&
        /camera: not a camera id/.test(error.message) &&
        /seconds:/.test(error.message),
    );
    const clip = { camera: "c1", ...fields() };
    const span = (hours: number) => ({
      ...clip,
      from: new Date(NOW).toISOString(),
      to: new Date(NOW + hours * 3600_000).toISOString(),
    });
    assert.equal(decode("clip.request", payload(span(1))).name, "clip.request");
    assert.match(
      (() => {
        try {
          decode("clip.request", payload(span(2)));
          return "";
        } catch (error) {
          return (error as Error).message;
        }
      })(),
      /^to: "to" must follow "from" by at most 60 minutes/,
    );
    assert.deepEqual(decode("status.get", Buffer.alloc(0)), { name: "status.get", args: {} });
    // Text that has no canonical JSON could be neither signed nor hashed into the access log.
    const lone = payload({ camera: "c1", seconds: 5, ...fields({ purpose: "vụ việc \ud800" }) });
    assert.equal(
      refusal(() => decode("live.start", lone)),
      "bad_request",
    );
  });
});

describe("command authorization", () => {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
  const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const check = (
    payload: Record<string, unknown>,
    options: {
      signature?: string;
      key?: string;
      nonces?: Nonces;
      site?: string;
      command?: string;
    } = {},
  ) =>
    refusal(() =>
      authorize({
        site: options.site ?? "site-a",
        command: options.command ?? "recordings.lock",
        payload,
        fields: payload as never,
        signature: options.signature,
        signingKey: options.key,
        nonces: options.nonces ?? new Nonces(),
        nowMs: NOW,
      }),
    );

  it("checks the validity window against the box clock", () => {
    assert.equal(check(fields()), "accepted");
    assert.equal(check(fields({ expiresAt: new Date(NOW).toISOString() })), "expired");
    assert.equal(
      check(
        fields({
          issuedAt: new Date(NOW + 600_000).toISOString(),
          expiresAt: new Date(NOW + 900_000).toISOString(),
        }),
      ),
      "not_yet_valid",
    );
    assert.equal(
      check(fields({ expiresAt: new Date(NOW + 25 * 3600_000).toISOString() })),
      "bad_request",
    );
  });

  it("requires a valid signature when a key is configured, and a fresh nonce", () => {
    const payload = fields();
    const signature = signCommand("site-a", "recordings.lock", payload, privatePem);
    const nonces = new Nonces();
    assert.equal(check(payload, { key: publicPem }), "unsigned");
    assert.equal(
      check({ ...payload, purpose: "other" }, { key: publicPem, signature }),
      "bad_signature",
    );
    assert.equal(check(payload, { key: publicPem, signature: "AAAA" }), "bad_signature");
    assert.equal(nonces.seen.size, 0, "refused commands do not use up their nonce");
    assert.equal(check(payload, { key: publicPem, signature, nonces }), "accepted");
    assert.equal(check(payload, { key: publicPem, signature, nonces }), "replayed");
    assert.equal(check(fields({ nonce: "m".repeat(16) }), { nonces }), "accepted");
  });

  it("refuses a signed command replayed at another site, as another command, or signed bare", () => {
    const payload = fields();
    const nonces = new Nonces();
    const forSiteB = signCommand("site-b", "recordings.lock", payload, privatePem);
    assert.equal(check(payload, { key: publicPem, signature: forSiteB, nonces }), "bad_signature");
    const asClip = signCommand("site-a", "clip.request", payload, privatePem);
    assert.equal(check(payload, { key: publicPem, signature: asClip, nonces }), "bad_signature");
    // The old form, a signature over the payload alone, covered neither.
    const bare = signPayload(payload, privatePem);
    assert.equal(check(payload, { key: publicPem, signature: bare, nonces }), "bad_signature");
    assert.equal(nonces.seen.size, 0);
    assert.equal(
      check(payload, { key: publicPem, signature: forSiteB, nonces, site: "site-b" }),
      "accepted",
    );
  });
});

describe("video topics and chunk headers", () => {
  const topics = new SiteTopics("site-a");

  it("parses media topics and only media topics", () => {
    assert.deepEqual(parseMediaTopic(topics.video("cam-1", 42)), {
      siteId: "site-a",
      cameraId: "cam-1",
      kind: "video",
      segmentId: 42,
    });
    assert.equal(parseMediaTopic(topics.live("cam-1"))?.kind, "live");
    for (const bad of [
      "camgate/v1/site-a/cameras/cam-1/video/0",
      "camgate/v1/site-a/cameras/cam-1/video/x",
      "camgate/v1/site-a/cameras/cam-1/video/1/2",
      "camgate/v1/site-a/cameras/+/live",
      "camgate/v2/site-a/cameras/cam-1/live",
    ])
      assert.equal(parseMediaTopic(bad), undefined, bad);
    assert.equal(parseTopic(topics.video("cam-1", 42)), undefined);
    assert.equal(parseTopic("camgate/v1/site-a/reply/center-1")?.family, "reply");
    assert.equal(parseTopic(topics.box("access"))?.family, "access");
  });

  it("accepts replies only under the site's own reply branch, refusals going to reply/_invalid", () => {
    assert.equal(topics.invalidReplyTopic(), "camgate/v1/site-a/reply/_invalid");
    assert.equal(topics.isReplyTopic("camgate/v1/site-a/reply/center-1"), true);
    assert.equal(topics.isReplyTopic("camgate/v1/site-b/reply/center-1"), false);
    assert.equal(topics.isReplyTopic("camgate/v1/site-a/reply/a/b"), false);
    assert.equal(topics.isReplyTopic("camgate/v1/site-a/reply/#"), false);
    assert.equal(topics.isReplyTopic("camgate/v1/site-a/status"), false);
  });

  it("refuses chunk headers that do not describe their segment", () => {
    const good = {
      chunk: "1",
      chunks: "3",
      "chunk-bytes": "1000",
      bytes: "2500",
      sha256: "a".repeat(64),
      start: "2026-11-23T08:00:00.000Z",
      end: "2026-11-23T08:00:10.000Z",
    };
    assert.equal(parseChunkHeader(7, good)?.chunks, 3);
    for (const change of [
      { chunk: "3" },
      { chunks: "4" },
      { bytes: "-1" },
      { "chunk-bytes": "0" },
      { sha256: "A".repeat(64) },
      { start: "yesterday" },
      { chunk: "1e3" },
    ])
      assert.equal(parseChunkHeader(7, { ...good, ...change }), undefined, JSON.stringify(change));
    assert.equal(parseChunkHeader(7, undefined), undefined);
  });
});

describe("token bucket", () => {
  it("lets a full bucket go at once and then paces to the rate", async () => {
    let now = 0;
    const bucket = new TokenBucket(8000, 1000, () => now); // 1000 bytes per second
    const signal = new AbortController().signal;
    await bucket.take(1000, signal);
    bucket.draw(500);
    const waiting = bucket.take(1000, signal);
    let done = false;
    void waiting.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(done, false, "no tokens yet: 500 bytes of debt");
    now = 1500; // 1500 bytes earned: the debt and the next chunk
    await waiting;
    assert.equal(done, true);
  });
});

describe("wake-up", () => {
  it("keeps a notify that came while nobody waited, and frees a waiter on abort", async () => {
    const wakeUp = new WakeUp();
    wakeUp.notify();
    await wakeUp.wait(new AbortController().signal);
    const abort = new AbortController();
    const waiting = wakeUp.wait(abort.signal);
    abort.abort();
    await waiting;
  });
});
