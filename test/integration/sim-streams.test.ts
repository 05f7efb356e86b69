import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import forge from "node-forge";
import { NS, WSD_MULTICAST } from "../../src/onvif/index.js";
import { child, descend, parseXml, textOf } from "../../src/onvif/xml.js";
import { SimBindError, Simulator } from "../../src/sim/index.js";
import { connectRefused, rtspRequest, udpExchange } from "../helpers/protocols.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const BASE = "127.0.4.10";

function probeMessage(messageId: string, types = "dn:NetworkVideoTransmitter"): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="${NS.soap12}" xmlns:w="${NS.wsa}" ` +
    `xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}"><e:Header><w:MessageID>${messageId}</w:MessageID>` +
    `<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>` +
    `<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>` +
    `<e:Body><d:Probe><d:Types>${types}</d:Types></d:Probe></e:Body></e:Envelope>`
  );
}

function readProbeMatch(text: string) {
  const root = parseXml(text);
  const match = descend(
    root,
    [NS.soap12, "Body"],
    [NS.wsd, "ProbeMatches"],
    [NS.wsd, "ProbeMatch"],
  );
  return {
    relatesTo: textOf(descend(root, [NS.soap12, "Header"], [NS.wsa, "RelatesTo"])),
    urn: textOf(descend(match, [NS.wsa, "EndpointReference"], [NS.wsa, "Address"])),
    xaddrs: textOf(child(match, NS.wsd, "XAddrs")),
    scopes: textOf(child(match, NS.wsd, "Scopes")) ?? "",
  };
}

/** Records `seconds` of an RTSP stream with ffmpeg, copying the video as it comes. */
function recordRtsp(uri: string, seconds: number, file: string) {
  const args = ["-hide_banner", "-loglevel", "error", "-nostdin", "-rtsp_transport", "tcp"];
  return run("ffmpeg", [...args, "-i", uri, "-t", String(seconds), "-c", "copy", "-y", file], {
    timeout: 120_000,
  });
}

async function ffprobe(file: string): Promise<{ codec: string; duration: number; frames: number }> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,nb_read_frames:format=duration",
    "-of",
    "json",
    file,
  ]);
  const info = JSON.parse(stdout) as {
    streams: { codec_name: string; nb_read_frames: string }[];
    format: { duration: string };
  };
  return {
    codec: info.streams[0]?.codec_name ?? "",
    duration: Number(info.format.duration),
    frames: Number(info.streams[0]?.nb_read_frames),
  };
}

/** A bare RTSP client that plays a stream and counts the bytes that arrive after PLAY. */
async function play(host: string, path: string) {
  const socket = connect(554, host);
  await once(socket, "connect");
  let received = 0;
  let playing = false;
  let pending = "";
  const url = `rtsp://${host}${path}`;
  const send = (lines: string[]) => socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  const next = () =>
    new Promise<string>((resolve) => {
      const onData = (chunk: Buffer) => {
        pending += chunk.toString("latin1");
        const end = pending.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = pending.slice(0, end);
        const length = Number(/Content-Length: (\d+)/i.exec(head)?.[1] ?? 0);
        pending = pending.slice(end + 4 + length);
        socket.off("data", onData);
        resolve(head);
      };
      socket.on("data", onData);
    });
  send([`DESCRIBE ${url} RTSP/1.0`, "CSeq: 1", "Accept: application/sdp"]);
  assert.match(await next(), /^RTSP\/1.0 200/);
  send([
    `SETUP ${url}/track1 RTSP/1.0`,
    "CSeq: 2",
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
  ]);
  const setup = await next();
  const session = /Session: ([^;\r\n]+)/.exec(setup)?.[1] ?? "";
  send([`PLAY ${url} RTSP/1.0`, "CSeq: 3", `Session: ${session}`]);
  assert.match(await next(), /^RTSP\/1.0 200/);
  playing = true;
  socket.on("data", (chunk: Buffer) => {
    if (playing) received += chunk.length;
  });
  return { bytes: () => received, close: () => socket.destroy() };
}

async function waitUntil(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("simulated cameras: RTSP, WS-Discovery, faults, TLS", () => {
  let sim: Simulator;
  before(async () => {
    sim = new Simulator({
      baseIp: BASE,
      cameras: 3,
      profile: "mixed",
      ffmpeg: "ffmpeg",
      override: (index) =>
        index === 2 ? { weaknesses: { unauthenticatedRtsp: true } } : undefined,
    });
    await sim.start();
  });
  after(() => sim.stop());

  it("ffmpeg records 20 s from the URI GetStreamUri gives into a playable H.264 file", async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, "record.mp4");
    const camera = sim.cameras[0]!;
    const { username, password } = camera.credentials;
    const uri = sim
      .describe()[0]!
      .streams[0]!.replace("rtsp://", `rtsp://${username}:${encodeURIComponent(password)}@`);
    await recordRtsp(uri, 20, file);
    const info = await ffprobe(file);
    assert.equal(info.codec, "h264");
    assert.ok(Math.abs(info.duration - 20) <= 0.2, `duration ${info.duration}`);
    assert.ok(info.frames >= 199 && info.frames <= 201, `frames ${info.frames}`);
  });

  it("several clients record the same camera at once", async (t) => {
    const dir = await tempDir(t);
    const uri = sim.describe()[1]!.streams[0]!;
    await Promise.all([0, 1, 2].map((n) => recordRtsp(uri, 4, join(dir, `${n}.mp4`))));
    for (const n of [0, 1, 2])
      assert.ok(Math.abs((await ffprobe(join(dir, `${n}.mp4`))).duration - 4) <= 0.2);
  });

  it("DESCRIBE: weak answers without credentials, hardened challenges with Digest", async () => {
    const [hardened, weak] = sim.describe();
    const open = await rtspRequest(weak!.address, 554, "DESCRIBE", weak!.streams[0]!);
    assert.equal(open.status, 200);
    assert.equal(open.headers.get("content-type"), "application/sdp");
    const closed = await rtspRequest(hardened!.address, 554, "DESCRIBE", hardened!.streams[0]!);
    assert.equal(closed.status, 401);
    assert.match(closed.headers.get("www-authenticate") ?? "", /^Digest realm=/);
    assert.equal(
      (await rtspRequest(hardened!.address, 554, "DESCRIBE", `rtsp://${hardened!.address}/nope`))
        .status,
      404,
    );
    const record = await rtspRequest(weak!.address, 554, "RECORD", weak!.streams[0]!);
    assert.equal(record.status, 405, "a camera's stream cannot be recorded into");
    assert.match(record.headers.get("allow") ?? "", /DESCRIBE/);
  });

  it("a stalled stream keeps its connection and sends nothing until resumed", async () => {
    const camera = sim.cameras[2]!;
    const player = await play(camera.state.host, "/Streaming/Channels/101");
    try {
      await waitUntil(() => player.bytes() > 0, "video before the stall");
      camera.setStalled(true);
      await new Promise((resolve) => setTimeout(resolve, 300)); // a frame already queued may still land
      const frozen = player.bytes();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(player.bytes(), frozen, "no bytes while stalled");
      camera.setStalled(false);
      await waitUntil(() => player.bytes() > frozen, "video after the stall");
    } finally {
      camera.setStalled(false);
      player.close();
    }
  });

  it("a stopped camera refuses connections; restarted, it serves again", async () => {
    const camera = sim.cameras[1]!;
    const { address, streams } = sim.describe()[1]!;
    await camera.stop();
    assert.ok(await connectRefused(address, 80));
    assert.ok(await connectRefused(address, 554));
    await camera.start();
    assert.equal((await rtspRequest(address, 554, "DESCRIBE", streams[0]!)).status, 200);
  });

  it("answers a multicast Probe on loopback and unicast Probes, each camera from its own address", async () => {
    const expected = sim.describe();
    const messageId = `urn:uuid:${randomUUID()}`;
    const multicast = await udpExchange(WSD_MULTICAST, probeMessage(messageId), 1500, {
      multicastInterface: "127.0.0.1",
    });
    const mine = multicast
      .map((reply) => ({ from: reply.from, ...readProbeMatch(reply.text) }))
      .filter((m) => m.relatesTo === messageId);
    for (const camera of expected) {
      const match = mine.find((m) => m.from === camera.address);
      assert.ok(match, `no multicast ProbeMatch from ${camera.address}`);
      assert.equal(match.urn, camera.urn);
      assert.equal(match.xaddrs, camera.xaddr);
      assert.match(match.scopes, /onvif:\/\/www\.onvif\.org\/hardware\/(CGS-|DS-2CD2032-I)/);
    }
    for (const camera of expected) {
      const id = `urn:uuid:${randomUUID()}`;
      const replies = await udpExchange(
        { address: camera.address, port: 3702 },
        probeMessage(id),
        500,
      );
      assert.equal(replies.length, 1);
      assert.equal(readProbeMatch(replies[0]!.text).relatesTo, id);
    }
    const other = await udpExchange(
      { address: expected[0]!.address, port: 3702 },
      probeMessage("urn:uuid:x", "dn:Printer"),
      500,
    );
    assert.deepEqual(other, [], "a probe for another device type gets no answer");
    const nobody = await udpExchange(
      { address: "127.0.4.99", port: 3702 },
      probeMessage("urn:uuid:y"),
      500,
    );
    assert.deepEqual(nobody, [], "a unicast probe to an address without a camera gets no answer");
  });

  it("keeps identities stable across restarts of the simulator", async () => {
    const again = new Simulator({
      baseIp: "127.0.4.100",
      cameras: 3,
      profile: "mixed",
      ffmpeg: "ffmpeg",
      multicast: false,
    });
    await again.start();
    try {
      assert.deepEqual(
        again.describe().map((c) => c.urn),
        sim.describe().map((c) => c.urn),
      );
      assert.deepEqual(
        again.describe().map((c) => c.password),
        sim.describe().map((c) => c.password),
      );
    } finally {
      await again.stop();
    }
  });

  it("TLS: hardened refuses TLS 1.0 and serves a CA-signed certificate; weak accepts TLS 1.0 with a SHA-1 self-signed one", async () => {
    const handshake = (host: string, version: "TLSv1" | "TLSv1.2") =>
      new Promise<{ ok: boolean; sha1?: boolean; bits?: number; selfSigned?: boolean }>(
        (resolve) => {
          const socket = tlsConnect({
            host,
            port: 443,
            minVersion: version,
            maxVersion: version,
            rejectUnauthorized: false,
            ciphers: "DEFAULT:@SECLEVEL=0",
          });
          socket.once("secureConnect", () => {
            const cert = socket.getPeerX509Certificate();
            socket.destroy();
            const parsed = forge.pki.certificateFromPem(cert?.toString() ?? "");
            resolve({
              ok: true,
              bits: (parsed.publicKey as forge.pki.rsa.PublicKey).n.bitLength(),
              selfSigned: cert?.issuer === cert?.subject,
              sha1: parsed.siginfo.algorithmOid === forge.pki.oids.sha1WithRSAEncryption,
            });
          });
          socket.once("error", () => resolve({ ok: false }));
        },
      );
    const [hardened, weak] = sim.describe();
    assert.equal((await handshake(hardened!.address, "TLSv1")).ok, false);
    const modern = await handshake(hardened!.address, "TLSv1.2");
    assert.ok(modern.ok);
    assert.equal(modern.bits, 2048);
    assert.equal(modern.selfSigned, false);
    assert.equal(modern.sha1, false);
    const legacy = await handshake(weak!.address, "TLSv1");
    assert.ok(legacy.ok, "TLS 1.0 accepted by the weak camera");
    assert.equal(legacy.bits, 1024);
    assert.equal(legacy.selfSigned, true);
    assert.equal(legacy.sha1, true);
  });

  it("a weak camera shows a telnet banner on 23; a hardened one has no telnet", async () => {
    const [hardened, weak] = sim.describe();
    const socket = connect(23, weak!.address);
    const [banner] = (await once(socket, "data")) as [Buffer];
    socket.destroy();
    assert.match(banner.toString(), /login: $/);
    assert.ok(await connectRefused(hardened!.address, 23));
  });

  it("explains a port in use and refuses addresses outside loopback", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(80, "127.0.4.200", resolve));
    try {
      const clash = new Simulator({
        baseIp: "127.0.4.200",
        cameras: 1,
        profile: "hardened",
        ffmpeg: "ffmpeg",
        multicast: false,
      });
      await assert.rejects(
        clash.start(),
        (error: Error) =>
          error instanceof SimBindError && /127\.0\.4\.200:80.*already in use/.test(error.message),
      );
    } finally {
      blocker.close();
    }
    const outside = new Simulator({
      baseIp: "192.0.2.10",
      cameras: 1,
      profile: "hardened",
      ffmpeg: "ffmpeg",
    });
    await assert.rejects(outside.start(), /not a loopback address/);
  });
});

it("camgate sim runs cameras until SIGTERM and prints one JSON object per camera", async () => {
  const { MAIN_JS, cleanEnv, collect, waitForLine } = await import("../helpers/cli.js");
  const child = spawn(
    process.execPath,
    [MAIN_JS, "sim", "--cameras", "2", "--base-ip", "127.0.4.150", "--profile", "weak", "--json"],
    {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const done = collect(child);
  const first = await waitForLine(child, (line) => line.startsWith("{"));
  const camera = JSON.parse(first) as {
    address: string;
    username: string;
    password: string;
    weaknesses: string[];
  };
  assert.equal(camera.address, "127.0.4.150");
  assert.equal(camera.password, "12345");
  assert.ok(camera.weaknesses.includes("telnet"));
  assert.equal(
    (await rtspRequest("127.0.4.151", 554, "DESCRIBE", "rtsp://127.0.4.151/Streaming/Channels/101"))
      .status,
    200,
  );
  child.kill("SIGTERM");
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(await connectRefused("127.0.4.150", 554));
});
