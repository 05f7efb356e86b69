import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseConfigText, type Config } from "../../src/config/index.js";
import { CredentialVault, type Credentials } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Store } from "../../src/store/index.js";
import { type CleanupScope, defer } from "./temp.js";

const run = promisify(execFile);
const GST_SERVER = fileURLToPath(
  new URL("../../../test/helpers/gst-rtsp-server.py", import.meta.url),
);

/**
 * GStreamer's RTSP server on `address:port/path`, stopped when the test ends; with `digest`, it
 * asks for Digest authentication only (the credentials go through its environment, not argv).
 */
export async function startGstRtspServer(
  t: CleanupScope,
  address: string,
  port: number,
  path = "/test",
  digest?: Credentials,
): Promise<string> {
  const base = await startGstRtspMounts(t, address, port, [path], digest);
  return `${base}${path}`;
}

/**
 * One GStreamer RTSP server for several streams: each mount is a path with what it serves as
 * query parameters (video=h264|h265|mjpeg, audio=pcmu|pcma|aac, size=WxH, fps, kbps,
 * resize=WxH@SECONDS, pattern=ball|smpte; see gst-rtsp-server.py). Returns `rtsp://address:port`;
 * a mount's URL is that followed by its path without the query. With credentials, every mount
 * asks for them, with Digest only (or Basic only, with `method: "basic"`).
 */
export async function startGstRtspMounts(
  t: CleanupScope,
  address: string,
  port: number,
  mounts: readonly string[],
  digest?: Credentials & { method?: "digest" | "basic" },
): Promise<string> {
  const env = digest
    ? {
        ...process.env,
        GST_RTSP_USER: digest.username,
        GST_RTSP_PASSWORD: digest.password,
        GST_RTSP_AUTH: digest.method ?? "digest",
      }
    : process.env;
  const child = spawn("/usr/bin/python3", [GST_SERVER, address, String(port), ...mounts], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  defer(t, async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  if (!chunk.toString().includes("READY")) throw new Error(`gst-rtsp-server: ${chunk.toString()}`);
  return `rtsp://${address}:${port}`;
}

/** Defaults for everything under `dir`; a line of `extra` for the same top-level key replaces it. */
function recorderConfigText(dir: string, extra: readonly string[]): string {
  const overridden = new Set(extra.map((line) => line.split(":")[0]));
  return [
    "site: {id: rec-site}",
    `store: {path: ${join(dir, "camgate.db")}}`,
    `secrets: {keyFile: ${join(dir, "seal.key")}}`,
    "discovery: {enabled: false}",
    "audit: {enabled: false}",
  ]
    .filter((line) => !overridden.has(line.split(":")[0]))
    .concat(extra)
    .join("\n");
}

/** An agent config for recorder tests: everything under `dir`, discovery and audit off. */
export function recorderConfig(dir: string, extra: readonly string[] = []): Config {
  return parseConfigText(recorderConfigText(dir, extra), "test.yaml", {});
}

/** The same config, also written to `dir`/camgate.yaml for the CLI and `camgate run`. */
export async function writeRecorderConfig(
  dir: string,
  extra: readonly string[] = [],
): Promise<{ config: Config; file: string }> {
  const file = join(dir, "camgate.yaml");
  await writeFile(file, recorderConfigText(dir, extra));
  return { config: recorderConfig(dir, extra), file };
}

export interface SeedCamera {
  id: string;
  /** The device's own URN, so that discovery recognises it; default urn:uuid:<id>. */
  urn?: string;
  ip: string;
  streamUri: string;
  snapshotUri?: string;
  credentials?: Credentials;
  /** The ONVIF device service, for an audit of the camera. */
  xaddr?: string;
}

/** Puts approved cameras in the inventory, as a technician would have, with their stream URI and password. */
export async function seedCameras(config: Config, cameras: readonly SeedCamera[]): Promise<void> {
  const store = new Store(config.store.path, silentLogger());
  const repos = store.open();
  const vault = new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile));
  for (const camera of cameras) {
    repos.cameras.upsert(
      {
        id: camera.id,
        urn: camera.urn ?? `urn:uuid:${camera.id}`,
        mac: null,
        ip: camera.ip,
        xaddrs: camera.xaddr === undefined ? [] : [camera.xaddr],
        manufacturer: "Test",
        model: "T-1",
        firmware: "1",
        serial: null,
        hardware: null,
        name: camera.id,
        profiles: [
          {
            token: "main",
            width: 320,
            height: 240,
            streamUri: camera.streamUri,
            ...(camera.snapshotUri ? { snapshotUri: camera.snapshotUri } : {}),
          },
        ],
        clockOffsetMs: 0,
        lastSeenMs: Date.now(),
        reachable: true,
      },
      { trust: "approved" },
    );
    if (camera.credentials) vault.setForCamera(camera.id, camera.credentials);
  }
  store.close();
}

export interface FileOnDisk {
  path: string;
  bytes: number;
}

/** Every segment file under the storage directory (closed and open ones). */
export async function segmentFiles(dir: string): Promise<FileOnDisk[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const files: FileOnDisk[] = [];
  for (const entry of entries) {
    if (!entry.endsWith(".ts")) continue;
    const path = join(dir, entry);
    const stats = await stat(path).catch(() => undefined);
    if (stats?.isFile()) files.push({ path, bytes: stats.size });
  }
  return files;
}

/**
 * ffmpeg's own check that a file decodes to its end: what it complains of (empty: nothing).
 * The null output keeps each stream's own time base (`-enc_time_base -1`): by default it takes
 * 1/average frame rate, and a source that dropped one picture (a loaded GStreamer at 5 fps
 * averages 4.93) then rounds two regular frames 0.2 s apart onto one tick and reports
 * "non monotonically increasing dts", though every timestamp in the file rises.
 */
export async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run("ffmpeg", [
    ...["-nostdin", "-hide_banner", "-v", "error", "-i", path],
    ...["-enc_time_base", "-1", "-f", "null", "-"],
  ]);
  return stderr.trim();
}

/** The picture sizes of every frame of a file's video, in order of first appearance. */
export async function frameSizes(path: string): Promise<string[]> {
  const { stdout } = await run(
    "ffprobe",
    [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=width,height"],
      ...["-of", "csv=p=0", path],
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const sizes = stdout
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => line.split(",").slice(0, 2).join(","));
  return [...new Set(sizes)];
}

/** ffprobe's verdict on a file: its duration when it holds decodable H.264 video. */
export async function probeVideo(path: string): Promise<{ codec: string; durationSec: number }> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-select_streams", "v:0"],
    ...["-show_entries", "stream=codec_name:format=duration", "-of", "json", path],
  ]);
  const parsed = JSON.parse(stdout) as {
    streams: { codec_name: string }[];
    format: { duration: string };
  };
  return {
    codec: parsed.streams[0]?.codec_name ?? "",
    durationSec: Number(parsed.format.duration),
  };
}

/** Resolves once `predicate` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
