import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NS } from "../../src/onvif/index.js";
import { digestAuthorization } from "../../src/discovery/http-digest.js";
import { DigestAuthority, parseBasic } from "../../src/sim/digest-auth.js";
import { parseAuthParams } from "../../src/util/http-digest.js";
import { parseProbe } from "../../src/sim/discovery-responder.js";
import { h264Fmtp, packetizeNal, parseH264, splitAnnexB } from "../../src/sim/h264.js";
import { loopbackAddress } from "../../src/sim/index.js";

describe("Digest authentication", () => {
  it("verifies RFC 2617's worked example", () => {
    const authority = new DigestAuthority("testrealm@host.com", (user) =>
      user === "Mufasa" ? "Circle Of Life" : undefined,
    );
    // The RFC's nonce must be one the authority issued: register it through a challenge first.
    const challenge = authority.challenge(0);
    const nonce = parseAuthParams(challenge.slice(7)).nonce ?? "";
    assert.match(nonce, /^[0-9a-f]{32}$/);
    const header = (response: string, n = nonce) =>
      `Digest username="Mufasa", realm="testrealm@host.com", nonce="${n}", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="${response}"`;
    const good = authority.verifyDigest(header(expectedResponse(nonce)), "GET", 1000);
    assert.deepEqual(good, { ok: true, user: "Mufasa" });
    assert.equal(authority.verifyDigest(header("0".repeat(32)), "GET", 1000).ok, false);
    assert.equal(
      authority.verifyDigest(header(expectedResponse(nonce)), "POST", 1000).ok,
      false,
      "method is covered",
    );
    assert.equal(
      authority.verifyDigest(header(expectedResponse("f".repeat(32)), "f".repeat(32)), "GET", 1000)
        .ok,
      false,
      "only issued nonces",
    );
    assert.equal(
      authority.verifyDigest(header(expectedResponse(nonce)), "GET", 11 * 60_000).ok,
      false,
      "nonces expire",
    );
  });

  it("our client's answer to a challenge is accepted by the server side, and only with the right password", () => {
    const authority = new DigestAuthority('cam "7"', (user) =>
      user === "admin" ? "S3cr3t!x" : undefined,
    );
    const answer = (password: string) =>
      digestAuthorization(
        [`Basic realm="x"`, authority.challenge()],
        "POST",
        "/onvif/device_service",
        "admin",
        password,
      ) ?? "";
    assert.deepEqual(authority.verifyDigest(answer("S3cr3t!x"), "POST"), {
      ok: true,
      user: "admin",
    });
    assert.equal(authority.verifyDigest(answer("wrong"), "POST").ok, false);
    assert.equal(authority.verifyDigest(answer("S3cr3t!x"), "GET").ok, false, "method is covered");
    assert.equal(
      digestAuthorization('Digest realm="r", nonce="n", algorithm=SHA-256', "POST", "/", "a", "b"),
      undefined,
    );
  });

  it("parses quoted parameters with commas and Basic credentials", () => {
    assert.deepEqual(parseAuthParams('realm="a, b", qop=auth, nonce="n\\"x"'), {
      realm: "a, b",
      qop: "auth",
      nonce: 'n"x',
    });
    assert.deepEqual(parseBasic(`Basic ${Buffer.from("admin:pa:ss").toString("base64")}`), {
      user: "admin",
      password: "pa:ss",
    });
    assert.equal(parseBasic("Basic !!!"), undefined);
  });
});

import { createHash } from "node:crypto";
function expectedResponse(nonce: string): string {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");
  const ha1 = md5("Mufasa:testrealm@host.com:Circle Of Life");
  const ha2 = md5("GET:/dir/index.html");
  return md5(`${ha1}:${nonce}:00000001:0a4f113b:auth:${ha2}`);
}

describe("H.264 for RTP", () => {
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0x01]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(3000, 0xab)]);
  const slice = Buffer.from([0x41, 0x9a, 0x01]);
  const aud = Buffer.from([0x09, 0xf0]);
  const annexB = (...nals: Buffer[]) =>
    Buffer.concat(nals.flatMap((nal, i) => [Buffer.from(i % 2 ? [0, 0, 1] : [0, 0, 0, 1]), nal]));

  it("splits at 3- and 4-byte start codes", () => {
    assert.deepEqual(splitAnnexB(annexB(sps, pps, idr)), [sps, pps, idr]);
  });

  it("fragments large NAL units as FU-A and reassembles to the original", () => {
    const fragments = packetizeNal(idr, 1400);
    assert.equal(fragments.length, 3);
    assert.ok(fragments.every((f) => f.length <= 1400 && (f[0]! & 0x1f) === 28));
    assert.equal(fragments[0]![1]! & 0x80, 0x80, "start bit");
    assert.equal(fragments.at(-1)![1]! & 0x40, 0x40, "end bit");
    const rebuilt = Buffer.concat([
      Buffer.from([(fragments[0]![0]! & 0xe0) | (fragments[0]![1]! & 0x1f)]),
      ...fragments.map((f) => f.subarray(2)),
    ]);
    assert.deepEqual(rebuilt, idr);
    assert.deepEqual(packetizeNal(slice), [slice]);
  });

  it("groups frames at delimiters and derives the SDP parameters", () => {
    const stream = parseH264(annexB(aud, sps, pps, idr, aud, slice, aud, slice));
    assert.deepEqual(
      stream.frames.map((f) => f.keyframe),
      [true, false, false],
    );
    assert.equal(stream.frames[0]!.payloads.length, 2 + 3);
    assert.equal(
      h264Fmtp(stream),
      `packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=${sps.toString("base64")},${pps.toString("base64")}`,
    );
    assert.throws(() => parseH264(annexB(aud, slice)), /SPS/);
  });
});

describe("WS-Discovery probes", () => {
  const probe = (types: string, extraNs = "") =>
    Buffer.from(
      `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" ${extraNs}><s:Header><a:MessageID>urn:uuid:1</a:MessageID></s:Header>` +
        `<s:Body><d:Probe><d:Types>${types}</d:Types></d:Probe></s:Body></s:Envelope>`,
    );

  it("matches NetworkVideoTransmitter by namespace, under any prefix, and untyped probes", () => {
    assert.equal(
      parseProbe(probe("x:NetworkVideoTransmitter", `xmlns:x="${NS.dn}"`))?.matchesDevice,
      true,
    );
    assert.equal(parseProbe(probe(""))?.matchesDevice, true);
    assert.equal(
      parseProbe(probe("x:NetworkVideoTransmitter", `xmlns:x="urn:other"`))?.matchesDevice,
      false,
    );
    assert.equal(parseProbe(Buffer.from("not xml")), undefined);
    assert.equal(
      parseProbe(Buffer.from(`<s:Envelope xmlns:s="${NS.soap12}"><s:Body/></s:Envelope>`)),
      undefined,
    );
  });
});

describe("simulator addresses", () => {
  it("counts on from the base address and stays inside 127.0.0.0/8", () => {
    assert.equal(loopbackAddress("127.0.0.10", 0), "127.0.0.10");
    assert.equal(loopbackAddress("127.0.0.250", 10), "127.0.1.4");
    assert.throws(() => loopbackAddress("10.0.0.1", 0), /loopback/);
    assert.throws(() => loopbackAddress("127.255.255.250", 10), /leaves 127/);
    assert.throws(() => loopbackAddress("127.0.0", 0), /loopback/);
  });
});
