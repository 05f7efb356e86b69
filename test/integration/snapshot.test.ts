import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { fetchSnapshot, SnapshotError } from "../../src/discovery/index.js";
import { runCamgate } from "../helpers/cli.js";
import { seedCameras, startGstRtspServer, writeRecorderConfig } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer, tempDir } from "../helpers/temp.js";

/** An HTTP peer on loopback that answers every request with `reply` and keeps their headers. */
async function peer(
  t: { after(fn: () => unknown): void },
  address: string,
  reply: (res: ServerResponse) => void,
): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    reply(res);
  });
  await new Promise<void>((resolve) => server.listen(8088, address, resolve));
  defer(t, () => new Promise((resolve) => server.close(resolve)));
  return { url: `http://${address}:8088/snapshot.jpg`, seen };
}

const credentials = { username: "admin", password: "S3cret!pass" };
const options = { credentials, timeoutMs: 3000, maxBytes: 1 << 20 };

/** What ffprobe reads in a picture file. */
async function probePicture(
  file: string,
): Promise<{ codec_name: string; width: number; height: number }> {
  const { stdout } = await promisify(execFile)("ffprobe", [
    ...["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "json", file],
  ]);
  const [stream] = (
    JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }
  ).streams;
  assert.ok(stream, `ffprobe found no stream in ${file}`);
  return stream;
}

/**
 * An ffmpeg for CAMGATE_FFMPEG that writes its argv to `log` (one line per run) and then is
 * ffmpeg: what any local user could read of its command line.
 */
async function recordingFfmpeg(
  dir: string,
): Promise<{ path: string; argv: () => Promise<string[]> }> {
  const log = join(dir, "ffmpeg-argv.log");
  const path = join(dir, "ffmpeg");
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ffmpeg "$@"\n`);
  await chmod(path, 0o700);
  return {
    path,
    argv: async () =>
      (await readFile(log, "utf8").catch(() => "")).split("\n").filter((line) => line !== ""),
  };
}

describe("camgate snapshot", () => {
  it("writes one JPEG from an approved camera, with Digest", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.46.30", 1);
    const [camera] = sim.describe();
    const { file } = await writeRecorderConfig(dir, []);
    const added = await runCamgate(
      [
        "--config",
        file,
        "cameras",
        "add",
        camera!.xaddr,
        "-u",
        camera!.username,
        "--password-stdin",
        "--json",
      ],
      { input: camera!.password },
    );
    assert.equal(added.code, 0, added.stderr);
    const output = join(dir, "aim.jpg");
    const shot = await runCamgate(["--config", file, "snapshot", camera!.address, "-o", output]);
    assert.equal(shot.code, 0, shot.stderr);
    assert.match(shot.stdout, /^wrote .*aim\.jpg \(\d+ KiB\) from cam-/);
    const jpeg = await readFile(output);
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    const { stdout } = await promisify(execFile)("ffprobe", [
      ...["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "json", output],
    ]);
    const stream = (JSON.parse(stdout) as { streams: { codec_name: string; width: number }[] })
      .streams[0];
    assert.equal(stream?.codec_name, "mjpeg");
    assert.ok((stream?.width ?? 0) > 0);
  });

  it("takes one frame of the stream of a camera without a snapshot address, through the relay: no password in ffmpeg's argv", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.173.10", 1, {
      override: () => ({ snapshots: false }),
    });
    const [camera] = sim.describe();
    assert.equal(camera!.snapshot, "");
    const { file } = await writeRecorderConfig(dir, []);
    const added = await runCamgate(
      ["--config", file, "cameras", "add", camera!.xaddr, "-u", "admin", "--password-stdin"],
      { input: camera!.password },
    );
    assert.equal(added.code, 0, added.stderr);
    const ffmpeg = await recordingFfmpeg(dir);
    const output = join(dir, "aim.jpg");
    const shot = await runCamgate(["--config", file, "snapshot", camera!.address, "-o", output], {
      env: { CAMGATE_FFMPEG: ffmpeg.path },
    });
    assert.equal(shot.code, 0, shot.stderr);
    assert.match(
      shot.stdout,
      /^wrote .*aim\.jpg \(\d+ KiB\) from cam-[0-9a-f]+, a frame of its stream \(the camera gives no snapshot address\)\n$/,
    );
    assert.deepEqual(await probePicture(output), { codec_name: "mjpeg", width: 320, height: 240 });

    const [argv, ...more] = await ffmpeg.argv();
    assert.equal(more.length, 0, "one ffmpeg");
    assert.match(
      argv!,
      / -i rtsp:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{16,}\/Streaming\/Channels\/101 /,
    );
    for (const secret of [camera!.password, encodeURIComponent(camera!.password)])
      assert.ok(!argv!.includes(secret), "the password is not in ffmpeg's argv");
    assert.ok(!argv!.includes(camera!.address), "ffmpeg does not even learn the camera's address");

    // --json says where the picture came from.
    const json = await runCamgate(
      ["--config", file, "--json", "snapshot", camera!.address, "-o", output],
      { env: { CAMGATE_FFMPEG: ffmpeg.path } },
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { source: string }).source, "stream");
  });

  it("falls back to the stream (GStreamer, Digest) when the snapshot address fails, not when credentials are refused", async (t) => {
    const dir = await tempDir(t);
    const rtsp = { username: "viewer", password: "Gst!Digest-9" };
    const stream = await startGstRtspServer(t, "127.0.173.20", 8554, "/cam", rtsp);
    // The snapshot page offers only Basic: refused, so the picture comes from the stream.
    const basic = await peer(t, "127.0.173.21", (res) => {
      res.writeHead(401, { "www-authenticate": 'Basic realm="cam"' });
      res.end();
    });
    // This one turns the Digest answer down: the credentials are wrong, nothing else is tried.
    const refusing = await peer(t, "127.0.173.22", (res) => {
      res.writeHead(401, { "www-authenticate": 'Digest realm="cam", nonce="abc", qop="auth"' });
      res.end();
    });
    const { config, file } = await writeRecorderConfig(dir, []);
    await seedCameras(config, [
      {
        id: "cam-basic",
        ip: "127.0.173.21",
        streamUri: stream,
        snapshotUri: basic.url,
        credentials: rtsp,
      },
      {
        id: "cam-refusing",
        ip: "127.0.173.22",
        streamUri: stream,
        snapshotUri: refusing.url,
        credentials: rtsp,
      },
      {
        id: "cam-wrong",
        ip: "127.0.173.20",
        streamUri: stream,
        credentials: { ...rtsp, password: "stale" },
      },
    ]);
    const snapshot = (id: string, output: string) =>
      runCamgate(["--config", file, "snapshot", id, "-o", join(dir, output)]);

    const fallback = await snapshot("cam-basic", "basic.jpg");
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.match(
      fallback.stdout,
      /from cam-basic, a frame of its stream \(its snapshot address failed: the camera offers only Basic authentication for snapshots, .*refused/,
    );
    assert.deepEqual(await probePicture(join(dir, "basic.jpg")), {
      codec_name: "mjpeg",
      width: 320,
      height: 240,
    });
    assert.ok(basic.seen.every((headers) => headers.authorization === undefined));

    const refused = await snapshot("cam-refusing", "refused.jpg");
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /camera cam-refusing refused its stored credentials for its snapshot: the camera refused the credentials \(HTTP 401\); fix: camgate cameras credentials cam-refusing -u USER --password-stdin/,
    );
    assert.equal(refusing.seen.length, 2, "one challenge, one Digest answer, nothing more");

    const wrong = await snapshot("cam-wrong", "wrong.jpg");
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /camera cam-wrong refused its stored credentials for its stream: wrong username or password; fix: camgate cameras credentials cam-wrong -u USER --password-stdin/,
    );
    assert.ok(!wrong.stderr.includes("stale"), "the stored password is not shown");
  });

  it("a camera whose stream answers nothing ends the snapshot with the reason, not a hang", async (t) => {
    const dir = await tempDir(t);
    // Takes the RTSP connection, reads the requests, never says a word.
    const held: Socket[] = [];
    const silent = createTcpServer((socket) => {
      held.push(socket);
      socket.on("error", () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(8554, "127.0.173.30", resolve));
    defer(t, async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { config, file } = await writeRecorderConfig(dir, ["recorder: {connectTimeout: 2s}"]);
    await seedCameras(config, [
      {
        id: "cam-silent",
        ip: "127.0.173.30",
        streamUri: "rtsp://127.0.173.30:8554/live",
        credentials: credentials,
      },
    ]);
    const shot = await runCamgate([
      "--config",
      file,
      "snapshot",
      "cam-silent",
      "-o",
      join(dir, "none.jpg"),
    ]);
    assert.equal(shot.code, 1, shot.stdout);
    assert.match(
      shot.stderr,
      /^camgate: (no picture from the stream within 12 s|ffmpeg could not take a frame of rtsp:\/\/127\.0\.173\.30:8554\/live)(: [^\n]+)?\n$/,
    );
    assert.ok(held.length >= 1, "the relay did reach the camera");
    assert.ok(!shot.stderr.includes(credentials.password));
    assert.ok(
      !shot.stderr.includes("127.0.0.1"),
      "the relay's address is not the technician's concern",
    );
  });

  it("never answers Basic, never follows a redirect, never takes what is not a JPEG", async (t) => {
    const basic = await peer(t, "127.0.46.41", (res) => {
      res.writeHead(401, { "www-authenticate": 'Basic realm="cam"' });
      res.end();
    });
    await assert.rejects(fetchSnapshot(basic.url, options), (error: Error) => {
      assert.ok(error instanceof SnapshotError);
      assert.match(error.message, /offers only Basic authentication .* refused/);
      return true;
    });
    assert.equal(basic.seen.length, 1);
    assert.ok(basic.seen.every((headers) => headers.authorization === undefined));

    const elsewhere = await peer(t, "127.0.46.43", (res) => res.end("x"));
    const redirect = await peer(t, "127.0.46.42", (res) => {
      res.writeHead(302, { location: elsewhere.url });
      res.end();
    });
    await assert.rejects(
      fetchSnapshot(redirect.url, options),
      /redirects its snapshot .* not followed/,
    );
    assert.equal(elsewhere.seen.length, 0, "the redirect target was never contacted");

    const html = await peer(t, "127.0.46.44", (res) => res.end("<html>login</html>"));
    await assert.rejects(fetchSnapshot(html.url, options), /not a JPEG/);
  });
});
