import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, connect, type Socket } from "node:net";
import { once } from "node:events";
import { describe, it } from "node:test";
import {
  basicAuthorization,
  DigestAnswerer,
  parseChallenges,
  peerIsSameUser,
  pickDigest,
  procNetAddress,
  RtspProtocolError,
  RtspReader,
  serializeMessage,
  uidOfPeer,
  UrlMap,
} from "../../src/rtsp-relay/index.js";
import { parseAuthParams } from "../../src/util/http-digest.js";

const bytes = (text: string) => Buffer.from(text, "latin1");

describe("RTSP reader", () => {
  it("splits messages and interleaved frames however the bytes are cut", () => {
    const frame = Buffer.from([0x24, 0, 0, 3, 1, 2, 3]);
    const reply = "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nv=0\r\n";
    const all = Buffer.concat([
      bytes("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
      frame,
      bytes(reply),
    ]);
    for (let cut = 1; cut < all.length; cut++) {
      const reader = new RtspReader();
      const items = [...reader.push(all.subarray(0, cut)), ...reader.push(all.subarray(cut))];
      assert.equal(items.length, 3, `cut at ${cut}`);
      assert.equal(items[0]?.kind === "message" && items[0].startLine, "OPTIONS * RTSP/1.0");
      assert.deepEqual(items[1]?.kind === "frame" && [...items[1].data], [...frame]);
      assert.equal(items[2]?.kind === "message" && items[2].body.toString(), "v=0\r\n");
    }
  });

  it("accepts bare LF line ends, as some cameras send", () => {
    const [item] = new RtspReader().push(bytes("RTSP/1.0 200 OK\nCSeq: 3\n\n"));
    assert.ok(item?.kind === "message");
    assert.deepEqual(item.headers, [["CSeq", "3"]]);
  });

  it("refuses heads, header counts and bodies over the bounds, and malformed lines", () => {
    const cases = [
      `RTSP/1.0 200 OK\r\nX: ${"a".repeat(17 * 1024)}`,
      `RTSP/1.0 200 OK\r\n${"X: 1\r\n".repeat(65)}\r\n`,
      "RTSP/1.0 200 OK\r\nContent-Length: 300000\r\n\r\n",
      "RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
      "RTSP/1.0 200 OK\r\nno colon here\r\n\r\n",
      "RTSP/1.0 200 OK\r\n folded: value\r\n\r\n",
      "RTSP/1.0 200 OK\r\nX: a\u0000b\r\n\r\n",
      "RTSP/1.0 200 OK\r\nX: a\rInjected: b\r\n\r\n",
    ];
    for (const text of cases)
      assert.throws(() => new RtspReader().push(bytes(text)), RtspProtocolError, text.slice(0, 40));
  });

  it("serializes with Content-Length set from the body, whatever the headers said", () => {
    const out = serializeMessage({
      startLine: "RTSP/1.0 200 OK",
      headers: [
        ["CSeq", "4"],
        ["Content-Length", "999"],
      ],
      body: Buffer.from("abc"),
    });
    assert.equal(out.toString(), "RTSP/1.0 200 OK\r\nCSeq: 4\r\nContent-Length: 3\r\n\r\nabc");
  });
});

describe("URL map", () => {
  const camera = new URL("rtsps://192.0.2.7:7322/Streaming/Channels/101?transportmode=unicast");
  const map = new UrlMap(camera, { port: 40000, token: "T0kenT0kenT0kenT0ken" });
  const prefix = "rtsp://127.0.0.1:40000/T0kenT0kenT0kenT0ken";

  it("gives ffmpeg the camera's path under the token, and maps its requests back", () => {
    const url = map.relayUrl(camera);
    assert.equal(url, `${prefix}/Streaming/Channels/101?transportmode=unicast`);
    assert.equal(map.toCamera(url), camera.href);
    assert.equal(
      map.toCamera(`${prefix}/Streaming/Channels/101/trackID=1`),
      "rtsps://192.0.2.7:7322/Streaming/Channels/101/trackID=1",
    );
    assert.equal(map.toCamera("*"), "*");
  });

  it("refuses request URIs of another token, host or port", () => {
    for (const uri of [
      "rtsp://127.0.0.1:40000/OtherOtherOtherOther/x",
      `${prefix}x/y`,
      "rtsp://127.0.0.1:40001/T0kenT0kenT0kenT0ken/x",
      "rtsp://192.0.2.7:7322/Streaming/Channels/101",
      "rtsp://127.0.0.1:40000/t0kent0kent0kent0ken/x",
    ])
      assert.equal(map.toCamera(uri), undefined, uri);
  });

  it("points every absolute RTSP URL of a reply at the relay, whatever host or user-info it names", () => {
    const sdp = [
      "a=control:rtsps://192.0.2.7:7322/Streaming/Channels/101/trackID=1",
      "a=control:rtsp://admin:secret@10.9.8.7/other/track2",
      "a=control:RTSP://[fe80::1]:554/x",
      "a=control:trackID=3",
      "o=- 1 1 IN IP4 192.0.2.7",
    ].join("\r\n");
    assert.equal(
      map.toRelay(sdp),
      [
        `a=control:${prefix}/Streaming/Channels/101/trackID=1`,
        `a=control:${prefix}/other/track2`,
        `a=control:${prefix}/x`,
        "a=control:trackID=3",
        "o=- 1 1 IN IP4 192.0.2.7",
      ].join("\r\n"),
    );
    assert.equal(
      map.toRelay("url=rtsp://192.0.2.7/a;seq=1,url=rtsp://192.0.2.7/b;seq=2"),
      `url=${prefix}/a;seq=1,url=${prefix}/b;seq=2`,
    );
  });
});

describe("camera authentication", () => {
  const mufasa = { username: "Mufasa", password: "Circle of Life" };

  it("answers RFC 7616's MD5 and SHA-256 examples exactly", () => {
    const header = (algorithm: string) =>
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, ` +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
      'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const expected = {
      MD5: "8ca523f5e9506fed4657c9700eebdbec",
      "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    };
    for (const [algorithm, response] of Object.entries(expected)) {
      const [challenge] = parseChallenges([header(algorithm)]);
      assert.ok(challenge);
      const answer = new DigestAnswerer(challenge, mufasa, cnonce);
      const params = parseAuthParams(answer.authorization("GET", "/dir/index.html").slice(7));
      assert.equal(params.response, response, algorithm);
      assert.equal(params.nc, "00000001");
      assert.equal(params.qop, "auth");
      assert.equal(params.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
      assert.equal(params.uri, "/dir/index.html");
    }
  });

  it("answers RFC 2617's example, counts the nonce's uses and supports the RFC 2069 form", () => {
    const [challenge] = parseChallenges([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    assert.ok(challenge);
    // RFC 2617 spells the password "Circle Of Life", RFC 7616 "Circle of Life".
    const answer = new DigestAnswerer(
      challenge,
      { username: "Mufasa", password: "Circle Of Life" },
      "0a4f113b",
    );
    const first = parseAuthParams(answer.authorization("GET", "/dir/index.html").slice(7));
    assert.equal(first.response, "6629fae49393a05397450978507c4ef1");
    const second = parseAuthParams(answer.authorization("GET", "/dir/index.html").slice(7));
    assert.equal(second.nc, "00000002");
    assert.notEqual(second.response, first.response);

    const [legacy] = parseChallenges(['Digest realm="r", nonce="n"']);
    assert.ok(legacy);
    const plain = parseAuthParams(
      new DigestAnswerer(legacy, { username: "u", password: "p" })
        .authorization("PLAY", "rtsp://c/s")
        .slice(7),
    );
    const md5 = (text: string) => createHash("md5").update(text).digest("hex");
    assert.equal(plain.response, md5(`${md5("u:r:p")}:n:${md5("PLAY:rtsp://c/s")}`));
    assert.equal(plain.qop, undefined);
  });

  it("prefers SHA-256, skips what it cannot answer, and never picks Basic", () => {
    const challenges = parseChallenges([
      'Basic realm="cam"',
      'Digest realm="cam", nonce="a", algorithm=MD5, Digest realm="cam", nonce="b", algorithm=SHA-256',
      'Digest realm="cam", nonce="c", algorithm=SHA-512-256',
    ]);
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ["basic", "digest", "digest", "digest"],
    );
    assert.equal(pickDigest(challenges)?.params.nonce, "b");
    assert.equal(pickDigest(parseChallenges(['Basic realm="cam"'])), undefined);
    assert.equal(
      pickDigest(parseChallenges(['Digest realm="cam", nonce="x", qop="auth-int"'])),
      undefined,
    );
    assert.equal(
      basicAuthorization({ username: "u", password: "p@ss:w/rd" }),
      `Basic ${Buffer.from("u:p@ss:w/rd").toString("base64")}`,
    );
  });

  it("quotes what the camera chose and the username, so nothing ends the header early", () => {
    const [challenge] = parseChallenges(['Digest realm="a\\"b", nonce="n\\\\"']);
    assert.ok(challenge);
    const header = new DigestAnswerer(challenge, { username: 'x"y', password: "p" }).authorization(
      "OPTIONS",
      "*",
    );
    const params = parseAuthParams(header.slice(7));
    assert.equal(params.realm, 'a"b');
    assert.equal(params.nonce, "n\\");
    assert.equal(params.username, 'x"y');
  });
});

describe("peer user", () => {
  it("writes addresses as /proc/net/tcp does", () => {
    assert.equal(procNetAddress("127.0.0.1", 8554), "0100007F:216A");
    assert.equal(procNetAddress("10.1.2.3", 1), "0302010A:0001");
  });

  it("finds the uid of the socket whose local end is the peer", () => {
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:9C40 0100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 1",
      "   1: 0100007F:C000 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 65534        0 2",
    ].join("\n");
    const relay = { address: "127.0.0.1", port: 0x9c40 };
    const peer = { address: "127.0.0.1", port: 0xc000 };
    assert.equal(uidOfPeer(table, peer, relay), 65534);
    assert.equal(uidOfPeer(table, { ...peer, port: 1 }, relay), undefined);
  });

  it("recognises a connection of this process's own user in the kernel's table", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    assert.ok(address && typeof address === "object");
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const client = connect(address.port, "127.0.0.1");
    const [socket] = await accepted;
    try {
      const peer = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
      const local = { address: socket.localAddress ?? "", port: socket.localPort ?? 0 };
      assert.equal(await peerIsSameUser(peer, local), true);
      const table = await readFile("/proc/net/tcp", "utf8");
      const other = table.replace(
        new RegExp(`(${procNetAddress(peer.address, peer.port)} \\S+ \\S+ \\S+ \\S+ \\S+ +)\\d+`),
        "$1" + String((process.getuid?.() ?? 0) + 1),
      );
      assert.equal(await peerIsSameUser(peer, local, async () => other), false);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
