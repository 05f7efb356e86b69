import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import mqtt from "mqtt";
import { Agent } from "../../src/agent.js";
import { parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { Store } from "../../src/store/index.js";
import { AsyncApiContract, type WireMessage } from "../helpers/asyncapi.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { probeVideo, seedCameras, waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { type CleanupScope, defer, tempDir } from "../helpers/temp.js";
import { recordWire, uplinkLines, uplinkWorld, type UplinkWorld } from "../helpers/uplink.js";

const SITE = "py-site";
const CENTER = join(REPO_ROOT, "test/centers/py_center.py");
/** Debian's python3 with python3-paho-mqtt and python3-cryptography (not whatever is on PATH). */
const PYTHON = "/usr/bin/python3";

interface Reply {
  ok: boolean;
  command: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

interface Summary {
  selfTest: boolean;
  problems: string[];
  counts: Record<string, number>;
  status: { state: string }[];
  commands: { label: string; command: string; topic: string | null; reply: Reply | null }[];
  clipSegments: number[];
  segments: {
    camera: string;
    segmentId: number;
    sha256: string;
    verified: boolean;
    index: string;
    chunks: number;
    media?: { videoCodec: string | null; width: number | null; height: number | null };
  }[];
  openTransfers: number;
  access: { seq: number; action: string; result: string; hash: string; detail: Json }[];
  audits: Record<string, { verified: boolean; signed: boolean }>;
  live: Record<string, { camera: string; pieces: number; final: boolean; file: string }>;
}

type Json = Record<string, unknown>;

interface Dumped {
  topic: string;
  qos: number;
  retain: boolean;
  contentType: string | null;
  messageExpiryInterval: number | null;
  userProperties: Record<string, string>;
  payload?: string;
}

interface StatusPayload {
  state: string;
  ts: string;
  lastWill?: boolean;
}

/** The `status` messages a center sees from now on, and a wait for one. */
async function statusWatcher(t: CleanupScope, world: UplinkWorld) {
  const seen = await recordWire(t, world, `camgate/v1/${SITE}/status`);
  const body = (message: WireMessage) =>
    JSON.parse(message.payload.toString("utf8")) as StatusPayload;
  return async (match: (status: StatusPayload) => boolean) => {
    await waitFor("a status message", () => seen.some((m) => match(body(m))), 30_000);
    const message = seen.filter((m) => match(body(m))).at(-1)!;
    return { ...body(message), wire: message };
  };
}

/** Runs the Python center to its end; resolves with its exit code and what it printed. */
async function runCenter(configFile: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(PYTHON, [CENTER, configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, output };
}

describe("a center built from docs/asyncapi.yaml alone (Python, paho-mqtt)", () => {
  it(
    "verifies every segment, the access-log chain and the audit signature, and gets the documented reply to every command",
    { timeout: 150_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const sim = await hardenedCameras(t, "127.0.58.10", 2, { discoveryPort: 43758 });
      const [liveCamera, clipCamera] = sim.describe().map((camera, index) => ({
        id: index === 0 ? "cam-live" : "cam-clip",
        ip: camera.address,
        xaddr: camera.xaddr,
        streamUri: camera.streams[0]!,
        credentials: { username: camera.username, password: camera.password },
      }));
      const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const commandKey = join(dir, "center-commands.pub");
      await writeFile(commandKey, keys.publicKey.export({ type: "spki", format: "pem" }));
      const signingKey = join(dir, "center-commands.key");
      await writeFile(signingKey, keys.privateKey.export({ type: "pkcs8", format: "pem" }), {
        mode: 0o600,
      });
      const identity = await world.pki.issue(SITE);
      const config = parseConfigText(
        [
          `site: {id: ${SITE}}`,
          `store: {path: ${join(dir, "box.db")}}`,
          `secrets: {keyFile: ${join(dir, "seal.key")}}`,
          `storage: {dir: ${join(dir, "recordings")}, segmentSeconds: 2, minFreeBytes: 0}`,
          "discovery: {enabled: false}",
          // Audits only when the center asks.
          "audit: {startDelay: 1h, credentialTrySpacing: 100ms, probeTimeout: 3s}",
          `recorder: {cameras: {${clipCamera!.id}: {forward: on-demand}}}`,
          uplinkLines(world, identity, `, chunkBytes: 16KiB, commandSigningKey: ${commandKey}`),
        ].join("\n"),
        "test.yaml",
        {},
      );
      await seedCameras(config, [liveCamera!, clipCamera!]);
      const agent = Agent.fromConfig(config, silentLogger());
      await agent.start(new AbortController().signal);
      defer(t, () => agent.stop());
      const store = agent.components.find((c) => c.name === "store") as Store;

      const centerDir = join(dir, "py-center");
      await mkdir(centerDir);
      const centerConfig = join(dir, "py-center.json");
      const url = new URL(world.broker.url);
      await writeFile(
        centerConfig,
        JSON.stringify({
          host: url.hostname,
          port: Number(url.port),
          ca: world.pki.ca,
          ...world.centerIdentity,
          site: SITE,
          signingKey,
          dir: centerDir,
          clipCamera: clipCamera!.id,
          liveCamera: liveCamera!.id,
          deadlineSeconds: 120,
        }),
      );
      const run = await runCenter(centerConfig);
      assert.equal(run.code, 0, run.output);
      const summary = JSON.parse(
        await readFile(join(centerDir, "summary.json"), "utf8"),
      ) as Summary;

      assert.equal(summary.selfTest, true, "its JCS passes RFC 8785's and the document's examples");
      assert.deepEqual(summary.problems, [], "everything the box sent is what the document says");

      // Each command got the documented reply, on the documented topic.
      const replies = new Map(summary.commands.map((c) => [c.label, c]));
      const reply = (label: string) => {
        const sent = replies.get(label);
        assert.ok(sent?.reply, `a reply to ${label}`);
        return { ...sent.reply, topic: sent.topic };
      };
      const ok = (label: string) => {
        const answer = reply(label);
        assert.equal(answer.ok, true, `${label}: ${JSON.stringify(answer)}`);
        assert.equal(answer.topic, `camgate/v1/${SITE}/reply/py-center`);
        return answer.result ?? {};
      };
      const refused = (label: string, code: string, topic = "py-center") => {
        const answer = reply(label);
        assert.equal(answer.error?.code, code, `${label}: ${JSON.stringify(answer)}`);
        assert.equal(answer.topic, `camgate/v1/${SITE}/reply/${topic}`, label);
      };
      assert.equal((ok("status")["uplink"] as { connected: boolean }).connected, true);
      const audit = ok("audit")["reports"] as { camera: string; signed: boolean }[];
      assert.deepEqual(
        audit.map((r) => [r.camera, r.signed]),
        [[liveCamera!.id, true]],
      );
      const boxSegments = (camera: string) =>
        store.repos.segments.overlapping(camera, 0, Number.MAX_SAFE_INTEGER);
      const clipIds = boxSegments(clipCamera!.id)
        .slice(0, 3)
        .map((segment) => segment.id);
      assert.deepEqual(
        (ok("clip")["segments"] as { id: number }[]).map((segment) => segment.id),
        clipIds,
        "the clip lists the three segments asked for",
      );
      assert.equal(ok("lock")["segments"], 3);
      const session = ok("live")["session"] as string;
      assert.match(session, /^[0-9a-f]{16}$/);
      assert.deepEqual(ok("live-stop"), { stopped: true });
      refused("unsigned", "unsigned");
      refused("other-site", "bad_signature");
      refused("other-command", "bad_signature");
      refused("two-levels", "bad_response_topic", "_invalid");
      refused("foreign-topic", "bad_response_topic", "_invalid");
      refused("discovery", "unavailable");
      refused("unknown", "unknown_command");

      // Segments: every one that arrived verified against its headers and its index entry, and
      // equal to the box's; the clip's among them; the on-demand camera sent nothing else.
      const byId = new Map(summary.segments.map((segment) => [segment.segmentId, segment]));
      for (const id of clipIds) assert.ok(byId.get(id)?.verified, `clip segment ${id} verified`);
      const continuous = summary.segments.filter((s) => s.camera === liveCamera!.id);
      assert.ok(continuous.length >= 2, `${continuous.length} continuous segments`);
      assert.ok(
        summary.segments.some((segment) => segment.chunks > 1),
        "multi-chunk segments",
      );
      for (const segment of summary.segments) {
        assert.equal(segment.verified, true, `segment ${segment.segmentId}`);
        assert.equal(segment.index, "match", `segment ${segment.segmentId} index entry`);
        assert.equal(segment.sha256, store.repos.segments.get(segment.segmentId)?.sha256);
        const stored = store.repos.segments.get(segment.segmentId);
        assert.deepEqual(
          segment.media && [segment.media.videoCodec, segment.media.width, segment.media.height],
          [stored?.videoCodec, stored?.width, stored?.height],
          `segment ${segment.segmentId}: the index entry says what the segment holds`,
        );
      }
      assert.ok(
        summary.segments.some((segment) => segment.media?.videoCodec === "h264"),
        "the simulator's H.264 is named in the index entries",
      );
      assert.deepEqual(
        summary.segments.filter((s) => s.camera === clipCamera!.id).map((s) => s.segmentId),
        clipIds,
      );

      // The audit report's signature, the live view, the access-log chain.
      assert.equal(summary.audits[liveCamera!.id]?.verified, true);
      assert.deepEqual(Object.keys(summary.live), [session], "the refused live.start opened none");
      const live = summary.live[session]!;
      assert.equal(live.final, true);
      assert.equal((await probeVideo(live.file)).codec, "h264");
      const chain = store.repos.accessLog.verify();
      assert.ok(chain.ok);
      assert.equal(summary.access.length, chain.checked, "every entry reached the center");
      assert.equal(summary.access.at(-1)?.hash, chain.headHash);
      assert.equal(summary.access[0]?.seq, 1);
      const foreign = summary.access.find(
        (entry) =>
          entry.action === "cmd/live.start" && entry.detail["code"] === "bad_response_topic",
      );
      assert.equal(foreign?.result, "refused");

      // Every message the box sent, checked against the document: channel, payload, headers,
      // content type, QoS, retain flag and expiry.
      const contract = await AsyncApiContract.load();
      const dumped = (await readFile(join(centerDir, "messages.jsonl"), "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Dumped)
        .filter((message) => !message.topic.includes("/cmd/"));
      const problems = dumped.flatMap((message) =>
        contract.problems({
          topic: message.topic,
          qos: message.qos,
          retain: message.retain,
          contentType: message.contentType ?? undefined,
          messageExpiryInterval: message.messageExpiryInterval ?? undefined,
          userProperties: message.userProperties,
          payload: Buffer.from(message.payload ?? "", "utf8"),
        }),
      );
      assert.deepEqual(problems.slice(0, 20), []);
      const channels = new Set(dumped.map((message) => contract.channelOf(message.topic)));
      for (const channel of [
        "status",
        "health",
        "cameraInfo",
        "cameraState",
        "cameraAudit",
        "cameraSegments",
        "access",
        "cameraVideo",
        "cameraLive",
        "replies",
      ])
        assert.ok(channels.has(channel), `a message on ${channel}`);

      // The last will, as the broker delivers it when the box's connection dies (here: a
      // client with the box's certificate takes its session over).
      const status = await statusWatcher(t, world);
      const online = await status((body) => body.state === "online");
      const intruder = await mqtt.connectAsync(world.broker.url, {
        protocolVersion: 5,
        clientId: `camgate-${SITE}`,
        reconnectPeriod: 0,
        ca: await readFile(world.pki.ca, "utf8"),
        cert: await readFile(identity.cert, "utf8"),
        key: await readFile(identity.key, "utf8"),
      });
      defer(t, () => intruder.endAsync(true));
      const will = await status((body) => body.state === "offline");
      assert.equal(will.lastWill, true);
      assert.equal(will.wire.contentType, "application/json");
      assert.ok(
        Date.parse(will.ts) <= Date.parse(online.ts),
        "the will's ts: its connection began",
      );
      assert.deepEqual(contract.problems(will.wire), []);
    },
  );
});
