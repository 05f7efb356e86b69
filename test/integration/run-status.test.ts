import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import unixDgram from "unix-dgram";
import { type BoxStatus, readRuntimeStatus, runtimeStatusPath } from "../../src/health/index.js";
import { cleanEnv, collect, MAIN_JS, runCamgate } from "../helpers/cli.js";
import { seedCameras, waitFor, writeRecorderConfig } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";
import { uplinkLines, uplinkWorld } from "../helpers/uplink.js";

/** systemd's end of sd_notify: a datagram socket that keeps what the service says. */
function notifySocket(t: Parameters<typeof tempDir>[0], path: string): string[] {
  const messages: string[] = [];
  const socket = unixDgram.createSocket("unix_dgram", (message) =>
    messages.push(message.toString("utf8")),
  );
  socket.bind(path);
  defer(t, () => socket.close());
  return messages;
}

async function status(file: string): Promise<{ code: number | null; report: BoxStatus }> {
  const result = await runCamgate(["status", "--json", "--config", file]);
  return { code: result.code, report: JSON.parse(result.stdout) as BoxStatus };
}

describe("camgate run under systemd, and camgate status", () => {
  it("READY once running, WATCHDOG at half the period, a STATUS line, STOPPING; status tells", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const sim = await hardenedCameras(t, "127.0.43.10", 2);
    const { config, file } = await writeRecorderConfig(dir, [
      `storage: {dir: ${join(dir, "rec")}, segmentSeconds: 2, minFreeBytes: 0}`,
      "discovery: {multicast: false, cidrs: [127.0.43.8/29], intervalSeconds: 30, probeTimeout: 1s}",
      uplinkLines(world, await world.pki.issue("rec-site")),
    ]);
    await seedCameras(
      config,
      sim.describe().map((camera, index) => ({
        id: `cam-${index}`,
        urn: camera.urn,
        ip: camera.address,
        // ONVIF cameras (a camera without an ONVIF address is one added by its RTSP URL).
        xaddr: camera.xaddr,
        streamUri: camera.streams[0]!,
        credentials: { username: camera.username, password: camera.password },
      })),
    );
    const messages = notifySocket(t, join(dir, "notify"));
    const child = spawn(process.execPath, [MAIN_JS, "run", "--config", file], {
      env: cleanEnv({ NOTIFY_SOCKET: join(dir, "notify"), WATCHDOG_USEC: "1000000" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(child);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const log = () => stdout;
    defer(t, () => (child.exitCode === null ? child.kill("SIGKILL") : undefined));

    await waitFor("READY=1", () => messages.some((m) => m.startsWith("READY=1\n")), 60_000);
    await waitFor(
      "a status line with both cameras recording and the uplink up",
      () => messages.some((m) => m.includes("STATUS=2 cameras recording, uplink up")),
      60_000,
    );
    await waitFor(
      "watchdog pings",
      () => messages.filter((m) => m === "WATCHDOG=1").length >= 3,
      30_000,
    );
    // Eventually all well (segments come when ffmpeg gets its turn on a busy machine).
    let running = await status(file);
    await waitFor(
      "all well, with a segment of each camera",
      async () => {
        running = await status(file);
        return running.code === 0 && running.report.cameras.every((c) => c.bytesToday > 0);
      },
      60_000,
    ).catch(() => undefined); // the assertions below say what is wrong
    assert.equal(running.report.service.state, "running");
    assert.equal(running.report.service.pid, child.pid);
    assert.equal(running.report.service.node, process.versions.node, "the agent's runtime");
    assert.equal(running.report.uplink.connected, true);
    assert.deepEqual(
      running.report.cameras.map((c) => [c.id, c.online, c.recording]),
      [
        ["cam-0", true, true],
        ["cam-1", true, true],
      ],
    );
    assert.ok((running.report.certificate as { daysLeft: number }).daysLeft > 30);
    assert.deepEqual(running.report.attention, [], JSON.stringify(running.report));
    assert.equal(running.code, 0);
    const table = await runCamgate(["status", "--config", file]);
    assert.match(table.stdout, /service {3}running, pid \d+/);
    assert.match(table.stdout, /cam-0 +127\.0\.43\.10 +yes +yes/);
    assert.match(table.stdout, /all well/);

    // SIGHUP: a file that does not validate changes nothing; a valid one stops cam-1's
    // recorder (a reloadable key) and notes that the site name needs a restart.
    const original = await readFile(file, "utf8");
    await writeFile(file, `${original}\nrecorder: {cameras: {cam-1: {enabled: maybe}}}\n`);
    child.kill("SIGHUP");
    await waitFor("the bad file refused", () => log().includes("reload refused"), 30_000);
    assert.match(log(), /recorder\.cameras\.cam-1\.enabled/);
    const runtime = await readRuntimeStatus(runtimeStatusPath(config.store.path));
    assert.equal(runtime.status?.recording?.["cam-1"], true, "the old config still holds");
    await writeFile(
      file,
      `${original.replace("id: rec-site", "id: rec-site, name: Renamed")}\n` +
        "recorder: {cameras: {cam-1: {enabled: false}}}\n",
    );
    child.kill("SIGHUP");
    await waitFor(
      "cam-1 no longer recorded",
      async () => (await status(file)).report.cameras[1]!.recording === null,
      30_000,
    );
    assert.match(log(), /"keys":\["recorder\.cameras\.cam-1"\],"msg":"config reloaded"/);
    assert.match(
      log(),
      /"keys":\["site\.name"\],"msg":"these changes take effect after a restart"/,
    );
    assert.equal(child.exitCode, null, "still running");

    // A camera goes away: the box needs attention, and says why.
    await sim.cameras[0]!.stop();
    await waitFor(
      "cam-0 reported",
      async () => (await status(file)).report.attention.some((r) => r.includes("cam-0")),
      60_000,
    );
    assert.equal((await status(file)).code, 1);
    await waitFor(
      "discovery finds cam-0 gone",
      async () => (await status(file)).report.cameras[0]!.online === false,
      120_000,
    );
    const offline = (await status(file)).report;
    assert.ok(offline.attention.includes("camera cam-0 is offline"), JSON.stringify(offline));

    // The broker goes away: the uplink is reported down, with the reason.
    await world.broker.stop();
    await waitFor(
      "the uplink reported down",
      async () => (await status(file)).report.uplink.connected === false,
      60_000,
    );
    const down = (await status(file)).report;
    assert.ok(
      down.attention.some((reason) => reason.startsWith("uplink down")),
      JSON.stringify(down),
    );

    child.kill("SIGTERM");
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      messages.some((m) => m.startsWith("STOPPING=1")),
      messages.join(" | "),
    );
    const readyAt = messages.findIndex((m) => m.startsWith("READY=1"));
    assert.equal(
      readyAt,
      messages.findLastIndex((m) => m.startsWith("READY=1")),
      "READY once",
    );
    const stopped = await status(file);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.report.service.state, "stopped");
    assert.equal(stopped.report.uplink.connected, null, "nobody knows while the agent is down");
    assert.ok(stopped.report.attention.includes("the agent is not running"));
  });
});
