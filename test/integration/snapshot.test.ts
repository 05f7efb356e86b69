import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { fetchSnapshot, SnapshotError } from "../../src/discovery/index.js";
import { runCamgate } from "../helpers/cli.js";
import { writeRecorderConfig } from "../helpers/recording.js";
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
