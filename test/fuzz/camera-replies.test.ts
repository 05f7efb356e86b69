import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseRtspReply, RtspProbeError, safeRtspUri } from "../../src/audit/probes/rtsp.js";
import { parseAuthParams } from "../../src/util/http-digest.js";
import {
  decodeMessage,
  encodeGetResponse,
  SnmpDecodeError,
  SYS_DESCR_OID,
} from "../../src/util/snmp.js";
import { expectTyped, fuzz, mutated } from "./harness.js";

const SDP =
  "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
const RTSP_REPLIES = [
  "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n",
  'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="IP Camera", nonce="a1b2c3", stale="FALSE"\r\nWWW-Authenticate: Basic realm="IP Camera"\r\n\r\n',
  `RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
];
const RTSP_NOISE = [
  "\r\n",
  "\r\n\r\n",
  ":",
  "Content-Length: ",
  "-1",
  "99999999999",
  "RTSP/1.0 ",
  "\u0000",
  "é",
];

describe("fuzzing: what a camera answers to the audit's probes", () => {
  it("parseRtspReply: a reply, not yet, or an RtspProbeError", async () => {
    const input = fc.oneof(
      { weight: 4, arbitrary: mutated(RTSP_REPLIES, RTSP_NOISE) },
      { weight: 1, arbitrary: fc.string({ maxLength: 2000, unit: "binary" }) },
    );
    await fuzz(
      "rtsp-reply",
      input,
      (text) => {
        try {
          const reply = parseRtspReply(text);
          if (!reply) return;
          assert.ok(reply.status >= 100 && reply.status <= 999, `status ${reply.status}`);
          assert.ok(!reply.statusLine.includes("\r\n"));
          for (const name of Object.keys(reply.headers)) assert.equal(name, name.toLowerCase());
        } catch (error) {
          expectTyped(error, RtspProbeError);
        }
      },
      { seed: 0x554, numRuns: 4000 },
    );
  });

  it("safeRtspUri: a stream URI from a camera is made safe or refused, never thrown", async () => {
    const uri = fc.oneof(
      fc
        .webUrl({ withQueryParameters: true, withFragments: true })
        .map((u) => u.replace(/^https?/, "rtsp")),
      mutated(
        ["rtsp://admin:pw@10.0.0.5:554/Streaming/Channels/101?transportmode=unicast"],
        ["@", ":", "/", "\r\n", " ", "%0d%0a", "[::1]", "rtsps", "#", "?", "\\"],
      ),
      fc.string({ maxLength: 300 }),
    );
    await fuzz(
      "rtsp-uri",
      uri,
      (text) => {
        const url = safeRtspUri(text, "127.0.0.9");
        if (!url) return;
        assert.ok(url.protocol === "rtsp:" || url.protocol === "rtsps:");
        assert.equal(url.hostname, "127.0.0.9");
        assert.equal(url.username + url.password, "");
        assert.doesNotMatch(url.href, /[\s]/);
      },
      { seed: 0x2326, numRuns: 3000 },
    );
  });

  it("parseAuthParams: any challenge header gives lower-case names and string values", async () => {
    const header = fc.oneof(
      mutated(
        [RTSP_REPLIES[1] ?? "", 'Digest realm="a\\"b", qop="auth,auth-int", algorithm=MD5'],
        ['"', "\\", ",", "="],
      ),
      fc.string({ maxLength: 500 }),
    );
    await fuzz(
      "auth-params",
      header,
      (text) => {
        const params = parseAuthParams(text);
        for (const [name, value] of Object.entries(params)) {
          assert.equal(name, name.toLowerCase());
          assert.equal(typeof value, "string");
        }
      },
      { seed: 0xd16e, numRuns: 3000 },
    );
  });

  it("SNMP decodeMessage: mutated and random datagrams decode within the buffer or fail typed", async () => {
    const good = encodeGetResponse("public", 7, SYS_DESCR_OID, "Camera OS 1.2").toString("latin1");
    const datagram = fc.oneof(
      {
        weight: 3,
        arbitrary: mutated(
          [good],
          ["\u0082", "\u00ff\u00ff", "\u0030", "\u0084\u00ff\u00ff\u00ff\u00ff", "\u0000"],
        ),
      },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString("latin1")),
      },
    );
    await fuzz(
      "snmp",
      datagram,
      (text) => {
        const bytes = Buffer.from(text, "latin1");
        try {
          const message = decodeMessage(bytes);
          for (const bind of message.varbinds) assert.ok(bind.value.length <= bytes.length);
        } catch (error) {
          expectTyped(error, SnmpDecodeError);
        }
      },
      { seed: 0x161, numRuns: 4000 },
    );
  });
});
