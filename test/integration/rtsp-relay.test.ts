import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { SegmentRecord } from "../../src/store/index.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import {
  probeVideo,
  recorderConfig,
  seedCameras,
  startGstRtspServer,
  waitFor,
} from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { type CleanupScope, defer, tempDir } from "../helpers/temp.js";
import { startCenter, uplinkLines, uplinkWorld } from "../helpers/uplink.js";

const run = promisify(execFile);

/**
 * What another local user sees of the command lines of this process's descendants (the agent runs
 * in this process): ps, and /proc/<pid>/cmdline. Other processes on the machine are left out.
 */
async function argvSeenByNobody(): Promise<string> {
  const asNobody = (command: string[]) =>
    run("runuser", ["-u", "nobody", "--", ...command], { maxBuffer: 16 << 20 });
  const { stdout } = await asNobody(["ps", "-eo", "pid=,ppid=,args="]);
  const rows = stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args: args ?? "" }));
  const ours = new Set([process.pid]);
  for (let size = 0; ours.size !== size;) {
    size = ours.size;
    for (const row of rows) if (ours.has(row.ppid)) ours.add(row.pid);
  }
  const descendants = rows.filter((row) => row.pid !== process.pid && ours.has(row.pid));
  const proc = await asNobody([
    "sh",
    "-c",
    'for p in "$@"; do tr "\\000" " " < "/proc/$p/cmdline" 2>/dev/null; echo; done',
    "sh",
    ...descendants.map((row) => String(row.pid)),
  ]);
  return `${descendants.map((row) => row.args).join("\n")}\n${proc.stdout}`;
}

/** Every form a password could take in a URL or a header. */
function formsOf(password: string): string[] {
  return [password, encodeURIComponent(password), Buffer.from(password).toString("base64")];
}

interface HostileCamera {
  url: string;
  connections: number;
  requests: string[];
}

/** An RTSP server written for the test: `answer` gives each request's reply; all is recorded. */
async function hostileCamera(
  t: CleanupScope,
  host: string,
  answer: (method: string, cseq: string) => string,
): Promise<HostileCamera> {
  const camera: HostileCamera = { url: `rtsp://${host}:8554/stream`, connections: 0, requests: [] };
  const server = createServer((socket: Socket) => {
    camera.connections++;
    let buffer = "";
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n\r\n"); end !== -1; end = buffer.indexOf("\r\n\r\n")) {
        const request = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        camera.requests.push(request);
        const method = request.split(" ")[0] ?? "";
        const cseq = /^CSeq:\s*(\d+)/im.exec(request)?.[1] ?? "0";
        socket.write(answer(method, cseq));
      }
    });
  });
  server.listen(8554, host);
  await once(server, "listening");
  defer(t, () => new Promise<void>((resolve) => server.close(() => resolve())));
  return camera;
}

const basicOnly = (method: string, cseq: string) =>
  method === "OPTIONS"
    ? `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n`
    : `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`;

describe("RTSP relay: real ffmpeg through the agent's relay", () => {
  it("records the simulator and GStreamer (Digest only); no password in any argv, recording or live", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const center = await startCenter(t, world, join(dir, "center"));
    const sim = await hardenedCameras(t, "127.0.64.10", 1, { discoveryPort: 43764 });
    const [simCamera] = sim.describe();
    assert.ok(simCamera);
    const gstCredentials = { username: "operator", password: "p@ss:w/rd#?%" };
    const gstUrl = await startGstRtspServer(t, "127.0.64.40", 8554, "/test", gstCredentials);
    const identity = await world.pki.issue("relay-site");
    const text = [
      "site: {id: relay-site}",
      `store: {path: ${join(dir, "camgate.db")}}`,
      `secrets: {keyFile: ${join(dir, "seal.key")}}`,
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
      "discovery: {enabled: false}",
      "audit: {enabled: false}",
      "recorder: {restartDelayMax: 2s}",
      uplinkLines(world, identity),
    ].join("\n");
    await writeFile(join(dir, "camgate.yaml"), text);
    const config = parseConfigText(text, "camgate.yaml", {});
    await seedCameras(config, [
      {
        id: "sim",
        ip: simCamera.address,
        streamUri: simCamera.streams[0] ?? "",
        credentials: { username: simCamera.username, password: simCamera.password },
      },
      { id: "gst", ip: "127.0.64.40", streamUri: gstUrl, credentials: gstCredentials },
    ]);
    const closed: SegmentRecord[] = [];
    const agent = Agent.fromConfig(config, silentLogger());
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const segmentsOf = (id: string) => closed.filter((segment) => segment.cameraId === id);
    await waitFor(
      "two segments of each camera",
      () => segmentsOf("sim").length >= 2 && segmentsOf("gst").length >= 2,
      60_000,
    );
    for (const id of ["sim", "gst"]) {
      const media = await probeVideo(segmentsOf(id)[0]?.path ?? "");
      assert.equal(media.codec, "h264", id);
      assert.ok(media.durationSec > 1, `${id}: ${media.durationSec} s`);
    }

    const commands = await CommandClient.connect(t, world);
    const live = await commands.send("relay-site", "live.start", {
      camera: "sim",
      seconds: 60,
      ...authorization(),
    });
    assert.equal(live.ok, true, JSON.stringify(live));
    await waitFor("a live piece", () => center.liveRecordings().some((r) => r.bytes > 0), 20_000);

    const seen = await argvSeenByNobody();
    const ffmpegs = seen.split("\n").filter((line) => /ffmpeg .*-i rtsp:\/\//.test(line));
    assert.ok(
      ffmpegs.filter((line) => line.includes("-segment_list")).length >= 2,
      "the recording ffmpegs are visible to another user",
    );
    assert.ok(
      ffmpegs.some((line) => line.includes("frag_keyframe")),
      "the live view's ffmpeg is visible to another user",
    );
    for (const password of [simCamera.password, gstCredentials.password])
      for (const form of formsOf(password))
        assert.ok(!seen.includes(form), `a camera password (${form.length} chars) is readable`);
    for (const line of ffmpegs) assert.match(line, /-i rtsp:\/\/127\.0\.0\.1:\d+\/[\w-]{24}\//);
    await commands.send("relay-site", "live.stop", { camera: "sim" });
  });

  it("serves relay URLs to the agent's own user only", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.64.20", 1, { discoveryPort: 43765 });
    const [camera] = sim.describe();
    assert.ok(camera);
    const config = recorderConfig(dir, [
      `storage: {dir: ${join(dir, "rec")}, minFreeBytes: 0}`,
      "recorder: {cameras: {other: {enabled: false}}}",
    ]);
    const agent = Agent.fromConfig(config, silentLogger());
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const relay = agent.components.find((c) => c.name === "rtsp-relay") as unknown as {
      open(target: object): { url: string };
    };
    assert.ok(relay, "the agent runs an RTSP relay");
    const ticket = relay.open({
      cameraId: "sim",
      url: camera.streams[0],
      credentials: { username: camera.username, password: camera.password },
      allowBasicAuth: false,
    });
    const read = ["-hide_banner", "-rtsp_transport", "tcp", "-i", ticket.url, "-t", "1"];
    const asNobody = run("runuser", ["-u", "nobody", "--", "ffmpeg", ...read, "-f", "null", "-"]);
    await assert.rejects(asNobody, "another user cannot read the camera through the relay");
    await run("ffmpeg", [...read, "-f", "null", "-"]);
  });

  it("never sends a password as Basic nor follows a redirect; says why the camera is not recorded", async (t) => {
    const dir = await tempDir(t);
    const password = "s3cret:p@ss/word";
    const credentials = { username: "admin", password };
    const basic = await hostileCamera(t, "127.0.64.50", basicOnly);
    const allowed = await hostileCamera(t, "127.0.64.51", basicOnly);
    const elsewhere = await hostileCamera(t, "127.0.64.61", basicOnly);
    const redirecting = await hostileCamera(t, "127.0.64.60", (method, cseq) =>
      method === "OPTIONS"
        ? `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n`
        : `RTSP/1.0 302 Moved Temporarily\r\nCSeq: ${cseq}\r\nLocation: ${elsewhere.url}\r\n\r\n`,
    );
    const config = recorderConfig(dir, [
      `storage: {dir: ${join(dir, "rec")}, minFreeBytes: 0}`,
      "recorder: {restartDelayMax: 2s, cameras: {allowed: {allowBasicAuth: true}}}",
    ]);
    await seedCameras(config, [
      { id: "basic", ip: "127.0.64.50", streamUri: basic.url, credentials },
      { id: "allowed", ip: "127.0.64.51", streamUri: allowed.url, credentials },
      { id: "redirecting", ip: "127.0.64.60", streamUri: redirecting.url, credentials },
    ]);
    const events: AgentEvents["boxEvent"][] = [];
    const closed: SegmentRecord[] = [];
    const agent = Agent.fromConfig(config, silentLogger());
    agent.bus.on("boxEvent", (event) => events.push(event));
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    await agent.start(new AbortController().signal);
    defer(t, () => agent.stop());
    const describes = (camera: HostileCamera) =>
      camera.requests.filter((request) => request.startsWith("DESCRIBE")).length;
    // Each camera tried at least twice: the recorder's retries change nothing.
    await waitFor(
      "two attempts at each camera",
      () => describes(basic) >= 2 && describes(redirecting) >= 2 && describes(allowed) >= 2,
      60_000,
    );
    await agent.stop();

    const secretForms = [...formsOf(password), formsOf(`admin:${password}`)[2] ?? ""];
    for (const request of basic.requests) {
      assert.doesNotMatch(request, /^Authorization:/im, "no credentials to a Basic-only camera");
      for (const form of secretForms) assert.ok(!request.includes(form));
    }
    assert.equal(elsewhere.connections, 0, "the redirect's target was never contacted");
    for (const request of redirecting.requests)
      for (const form of secretForms) assert.ok(!request.includes(form));
    assert.equal(closed.length, 0, "nothing recorded");
    // Each refusal was told before ffmpeg could try again.
    const refused = (id: string) =>
      events.find((event) => event.kind === "camera_refused" && event.cameraId === id);
    assert.equal(refused("basic")?.detail.reason, "basic-only");
    assert.equal(refused("redirecting")?.detail.reason, "redirect");
    assert.match(String(refused("redirecting")?.detail.detail), /127\.0\.64\.61/);
    assert.equal(
      events.filter((event) => event.kind === "camera_refused" && event.cameraId === "basic")
        .length,
      1,
      "told once, not at every retry",
    );
    // A technician's allowBasicAuth: the password goes out, in clear, to that camera only.
    const basicHeader = `Basic ${Buffer.from(`admin:${password}`).toString("base64")}`;
    assert.ok(
      allowed.requests.some((request) => request.includes(`Authorization: ${basicHeader}`)),
    );
  });
});
