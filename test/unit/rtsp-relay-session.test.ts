import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import {
  type RefusalReason,
  RtspReader,
  RtspRelay,
  type RtspRelayDeps,
  serializeMessage,
} from "../../src/rtsp-relay/index.js";
import type { RtspItem, RtspMessage } from "../../src/rtsp-relay/rtsp-message.js";
import { parseAuthParams } from "../../src/util/http-digest.js";
import { type CleanupScope, defer } from "../helpers/temp.js";

const CAMERA_IP = "127.0.64.90";
const CREDENTIALS = { username: "op", password: "p@ss:w/rd#?%" };

interface Seen {
  startLine: string;
  headers: Map<string, string>;
}

type Answer = (request: Seen, socket: Socket) => string | Buffer | undefined;

/** A camera written for the test: answers each request with `answer`, remembers everything. */
async function scriptedCamera(t: CleanupScope, port: number, answer: Answer) {
  const seen: Seen[] = [];
  const raw: Buffer[] = [];
  const server: Server = createServer((socket) => {
    const reader = new RtspReader();
    socket.on("data", (chunk: Buffer) => {
      raw.push(chunk);
      for (const item of reader.push(chunk)) {
        if (item.kind !== "message") continue;
        const request = {
          startLine: item.startLine,
          headers: new Map(item.headers.map(([k, v]) => [k.toLowerCase(), v])),
        };
        seen.push(request);
        const reply = answer(request, socket);
        if (reply !== undefined) socket.write(reply);
      }
    });
    socket.on("error", () => undefined);
  });
  server.listen(port, CAMERA_IP);
  await once(server, "listening");
  defer(t, () => new Promise<void>((resolve) => server.close(() => resolve())));
  return { seen, raw: () => Buffer.concat(raw), url: `rtsp://${CAMERA_IP}:${port}/s/main` };
}

function reply(request: Seen, status: string, headers: [string, string][] = [], body = "") {
  return serializeMessage({
    startLine: `RTSP/1.0 ${status}`,
    headers: [["CSeq", request.headers.get("cseq") ?? "0"], ...headers],
    body: Buffer.from(body, "latin1"),
  });
}

async function startRelay(t: CleanupScope, deps: Partial<RtspRelayDeps> = {}) {
  const refusals: { cameraId: string; reason: RefusalReason; detail: string }[] = [];
  const relay = new RtspRelay({
    logger: silentLogger(),
    ticketTtlMs: 30_000,
    connectTimeoutMs: 5_000,
    paceMs: 0,
    onRefusal: (cameraId, reason, detail) => refusals.push({ cameraId, reason, detail }),
    ...deps,
  });
  await relay.start(new AbortController().signal);
  defer(t, () => relay.stop());
  return { relay, refusals };
}

/** ffmpeg's side, by hand: one request at a time, every item that comes back. */
async function client(t: CleanupScope, url: string) {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  defer(t, () => socket.destroy());
  await once(socket, "connect");
  const reader = new RtspReader();
  const items: RtspItem[] = [];
  let wake = () => undefined as void;
  socket.on("data", (chunk: Buffer) => {
    items.push(...reader.push(chunk));
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  let cseq = 0;
  const next = async (): Promise<RtspItem | undefined> => {
    while (items.length === 0) {
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      if (
        (await Promise.race([arrived.then(() => "data"), closed.then(() => "closed")])) ===
          "closed" &&
        items.length === 0
      )
        return undefined;
    }
    return items.shift();
  };
  return {
    socket,
    next,
    closed,
    async request(method: string, uri: string, headers: [string, string][] = []) {
      socket.write(
        serializeMessage({
          startLine: `${method} ${uri} RTSP/1.0`,
          headers: [["CSeq", String(++cseq)], ...headers],
          body: Buffer.alloc(0),
        }),
      );
      const item = await next();
      assert.ok(item?.kind === "message", `a reply to ${method}`);
      return item;
    },
  };
}

const header = (message: RtspMessage, name: string) =>
  message.headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The camera's check of a SHA-256 Digest answer (qop=auth). */
function validSha256(request: Seen, nonce: string): boolean {
  const auth = request.headers.get("authorization");
  if (!auth?.startsWith("Digest ")) return false;
  const p = parseAuthParams(auth.slice(7));
  const method = request.startLine.split(" ")[0];
  const ha1 = sha256(`${CREDENTIALS.username}:cam:${CREDENTIALS.password}`);
  const ha2 = sha256(`${method}:${p.uri}`);
  const expected = sha256(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
  return p.nonce === nonce && p.algorithm === "SHA-256" && p.response === expected;
}

describe("RTSP relay sessions against cameras written for the test", () => {
  it("answers Digest (SHA-256 over MD5, re-challenged when stale), rewrites URLs, then pipes", async (t) => {
    let nonce = "n-1";
    const frames = Buffer.from([0x24, 0, 0, 4, 9, 8, 7, 6, 0x24, 1, 0, 2, 5, 5]);
    const challenge = (stale: boolean) =>
      [
        ["WWW-Authenticate", `Digest realm="cam", nonce="${nonce}", algorithm=MD5, qop="auth"`],
        [
          "WWW-Authenticate",
          `Digest realm="cam", nonce="${nonce}", algorithm=SHA-256, qop="auth"${stale ? ", stale=true" : ""}`,
        ],
      ] as [string, string][];
    let setups = 0;
    const camera = await scriptedCamera(t, 8561, (request) => {
      const [method, uri] = request.startLine.split(" ");
      if (method === "OPTIONS") return reply(request, "200 OK", [["Public", "DESCRIBE, SETUP"]]);
      if (method === "SETUP" && setups++ === 0) {
        nonce = "n-2";
        return reply(request, "401 Unauthorized", challenge(true));
      }
      if (!validSha256(request, nonce)) return reply(request, "401 Unauthorized", challenge(false));
      if (method === "DESCRIBE") {
        const sdp = `v=0\r\na=control:${uri}/\r\nm=video 0 RTP/AVP 96\r\na=control:rtsp://10.0.0.5/s/main/track1\r\n`;
        return reply(
          request,
          "200 OK",
          [
            ["Content-Type", "application/sdp"],
            ["Content-Base", `${uri}/`],
          ],
          sdp,
        );
      }
      if (method === "SETUP")
        return reply(request, "200 OK", [
          ["Session", "abc;timeout=60"],
          ["Transport", request.headers.get("transport") ?? ""],
        ]);
      if (method === "PLAY")
        return Buffer.concat([
          reply(request, "200 OK", [["RTP-Info", `url=${CAMERA_URL_TRACK};seq=1`]]),
          frames,
        ]);
      return reply(request, "200 OK");
    });
    const CAMERA_URL_TRACK = `${camera.url}/track1`;
    const { relay } = await startRelay(t);
    const ticket = relay.open({
      cameraId: "cam-d",
      url: camera.url,
      credentials: CREDENTIALS,
      allowBasicAuth: false,
    });
    assert.ok(!ticket.url.includes(CREDENTIALS.password) && !ticket.url.includes("op@"));
    const ffmpeg = await client(t, ticket.url);
    assert.match((await ffmpeg.request("OPTIONS", ticket.url)).startLine, / 200 /);
    const described = await ffmpeg.request("DESCRIBE", ticket.url, [["Accept", "application/sdp"]]);
    assert.match(described.startLine, / 200 /);
    assert.equal(header(described, "Content-Base"), `${ticket.url}/`);
    assert.equal(header(described, "Content-Length"), String(described.body.length));
    const sdp = described.body.toString();
    assert.ok(sdp.includes(`a=control:${ticket.url}/\r\n`), sdp);
    const relayPrefix = ticket.url.replace(/\/s\/main$/, "");
    assert.ok(sdp.includes(`a=control:${relayPrefix}/s/main/track1`), sdp);
    assert.ok(!sdp.includes(CAMERA_IP) && !sdp.includes("10.0.0.5"));
    const setup = await ffmpeg.request("SETUP", `${ticket.url}/track1`, [
      ["Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"],
    ]);
    assert.match(setup.startLine, / 200 /, "the stale nonce was answered again, unseen by ffmpeg");
    const play = await ffmpeg.request("PLAY", ticket.url, [["Session", "abc"]]);
    assert.equal(header(play, "RTP-Info"), `url=${ticket.url}/track1;seq=1`);
    const first = await ffmpeg.next();
    const second = await ffmpeg.next();
    assert.deepEqual(
      Buffer.concat(
        [first, second].map((item) => (item?.kind === "frame" ? item.data : Buffer.alloc(0))),
      ),
      frames,
    );
    // A keepalive after PLAY: still rewritten and authenticated, the nonce counted.
    ffmpeg.socket.write(
      serializeMessage({
        startLine: `GET_PARAMETER ${ticket.url} RTSP/1.0`,
        headers: [
          ["CSeq", "9"],
          ["Session", "abc"],
        ],
        body: Buffer.alloc(0),
      }),
    );
    const keepalive = await ffmpeg.next();
    assert.ok(keepalive?.kind === "message" && / 200 /.test(keepalive.startLine));
    const last = camera.seen.at(-1);
    assert.equal(last?.startLine, `GET_PARAMETER ${camera.url} RTSP/1.0`);
    assert.ok(last && validSha256(last, "n-2"));
    assert.equal(
      parseAuthParams(last?.headers.get("authorization")?.slice(7) ?? "").nc,
      "00000003",
    );
    assert.ok(!camera.raw().toString("latin1").includes(CREDENTIALS.password));
    assert.ok(!camera.raw().toString("latin1").includes("127.0.0.1"));
  });

  it("refuses a redirect: ffmpeg gets 502 and never the Location", async (t) => {
    const camera = await scriptedCamera(t, 8562, (request) =>
      reply(request, "302 Moved Temporarily", [["Location", "rtsp://127.0.64.91:8554/elsewhere"]]),
    );
    const { relay, refusals } = await startRelay(t);
    const ticket = relay.open({
      cameraId: "cam-r",
      url: camera.url,
      credentials: CREDENTIALS,
      allowBasicAuth: false,
    });
    const ffmpeg = await client(t, ticket.url);
    const answer = await ffmpeg.request("DESCRIBE", ticket.url);
    assert.match(answer.startLine, /^RTSP\/1\.0 502 /);
    assert.equal(header(answer, "Location"), undefined);
    await ffmpeg.closed;
    assert.deepEqual(
      refusals.map((r) => [r.cameraId, r.reason]),
      [["cam-r", "redirect"]],
    );
    assert.match(refusals[0]?.detail ?? "", /127\.0\.64\.91/);
  });

  it("refuses Basic unless the camera is marked allowBasicAuth, and reports it once", async (t) => {
    const camera = await scriptedCamera(t, 8563, (request) =>
      request.headers.has("authorization")
        ? reply(request, "200 OK", [["Content-Type", "application/sdp"]], "v=0\r\n")
        : reply(request, "401 Unauthorized", [["WWW-Authenticate", 'Basic realm="cam"']]),
    );
    const { relay, refusals } = await startRelay(t);
    const target = {
      cameraId: "cam-b",
      url: camera.url,
      credentials: CREDENTIALS,
      allowBasicAuth: false,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const ticket = relay.open(target);
      const ffmpeg = await client(t, ticket.url);
      const answer = await ffmpeg.request("DESCRIBE", ticket.url);
      assert.match(answer.startLine, /^RTSP\/1\.0 401 /);
      assert.equal(header(answer, "WWW-Authenticate"), undefined);
      ffmpeg.socket.destroy();
    }
    assert.ok(camera.seen.every((request) => !request.headers.has("authorization")));
    assert.deepEqual(
      refusals.map((r) => r.reason),
      ["basic-only"],
    );

    const allowed = relay.open({ ...target, allowBasicAuth: true });
    const ffmpeg = await client(t, allowed.url);
    assert.match((await ffmpeg.request("DESCRIBE", allowed.url)).startLine, / 200 /);
    const basic = `${CREDENTIALS.username}:${CREDENTIALS.password}`;
    assert.equal(
      camera.seen.at(-1)?.headers.get("authorization"),
      `Basic ${Buffer.from(basic).toString("base64")}`,
    );
  });

  it("hands out single-use URLs, refuses other tokens and strangers, and forgets unused URLs", async (t) => {
    const camera = await scriptedCamera(t, 8564, (request) => reply(request, "200 OK"));
    let allow = false;
    const { relay } = await startRelay(t, { ticketTtlMs: 300, peerAllowed: async () => allow });
    const target = { cameraId: "cam-t", url: camera.url, allowBasicAuth: false };
    const ticket = relay.open(target);
    const stranger = await client(t, ticket.url);
    await stranger.closed;
    assert.equal(camera.seen.length, 0, "a stranger's connection reaches nothing");
    allow = true;
    const first = await client(t, ticket.url);
    assert.match((await first.request("OPTIONS", ticket.url)).startLine, / 200 /);
    const again = await client(t, ticket.url);
    assert.match((await again.request("OPTIONS", ticket.url)).startLine, / 404 /);
    const guessed = ticket.url.replace(/\/[A-Za-z0-9_-]{24}\//, "/AAAAAAAAAAAAAAAAAAAAAAAA/");
    const other = await client(t, guessed);
    assert.match((await other.request("OPTIONS", guessed)).startLine, / 404 /);
    const unused = relay.open(target);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const late = await client(t, unused.url);
    assert.match((await late.request("OPTIONS", unused.url)).startLine, / 404 /);
    assert.equal(camera.seen.length, 1);
  });
});
