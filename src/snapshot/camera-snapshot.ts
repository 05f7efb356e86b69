import { type Credentials, fetchSnapshot, SnapshotError } from "../discovery/index.js";
import type { Logger } from "../log/index.js";
import { orderProfiles, recordingTarget } from "../recorder/index.js";
import { type RefusalReason, RtspRelay } from "../rtsp-relay/index.js";
import type { CameraRecord } from "../store/index.js";
import { CameraSnapshotError } from "./errors.js";
import { grabFrame } from "./stream-frame.js";

/** Room for the stream to show a key frame after it connects (cameras send one every 1-4 s). */
const KEY_FRAME_WAIT_MS = 10_000;

export interface SnapshotDeps {
  credentials: Credentials | undefined;
  /** A technician let this camera's password go out with RTSP Basic (recorder.cameras.ID). */
  allowBasicAuth: boolean;
  callTimeoutMs: number;
  connectTimeoutMs: number;
  maxBytes: number;
  /** The ffmpeg to run, looked for only when the stream is needed. */
  ffmpeg: () => Promise<string>;
  logger: Logger;
}

export interface Snapshot {
  jpeg: Buffer;
  source: "snapshot" | "stream";
  /** Why the picture is a frame of the stream. */
  why?: string;
}

interface SnapshotProfile {
  token?: unknown;
  width?: unknown;
  height?: unknown;
  snapshotUri?: unknown;
}

/** The snapshot address of the named profile, else of the profile with the most pixels. */
function snapshotUri(camera: CameraRecord, token: string | undefined): string | undefined {
  const profiles = (camera.profiles as SnapshotProfile[]).filter(
    (profile) => typeof profile.snapshotUri === "string",
  );
  const chosen = token
    ? profiles.find((profile) => profile.token === token)
    : orderProfiles(profiles, "largest")[0];
  return chosen?.snapshotUri as string | undefined;
}

const fixCredentials = (id: string) => `camgate cameras credentials ${id} -u USER --password-stdin`;

/** What the relay's refusal of a camera means to the technician. */
function refusalMessage(camera: CameraRecord, reason: RefusalReason, detail: string): string {
  switch (reason) {
    case "credentials-rejected":
      return `camera ${camera.id} refused its stored credentials for its stream: wrong username or password; fix: ${fixCredentials(camera.id)}`;
    case "no-credentials":
      return `camera ${camera.id} asks for credentials for its stream and none are stored: ${fixCredentials(camera.id)}`;
    default:
      return `camera ${camera.id}'s stream was refused: ${detail}`;
  }
}

/** One frame of the camera's stream, through an RTSP relay of this process's own. */
async function frameOfStream(
  camera: CameraRecord,
  profile: string | undefined,
  deps: SnapshotDeps,
): Promise<Buffer> {
  const target = recordingTarget(camera, {
    profile,
    credentials: deps.credentials,
    allowBasicAuth: deps.allowBasicAuth,
  });
  if ("skip" in target) throw new CameraSnapshotError(`camera ${camera.id}: ${target.skip}`);
  const ffmpeg = await deps.ffmpeg();
  let refusal: string | undefined;
  const relay = new RtspRelay({
    logger: deps.logger.child({ component: "rtsp-relay" }),
    ticketTtlMs: Math.max(30_000, deps.connectTimeoutMs),
    connectTimeoutMs: deps.connectTimeoutMs,
    paceMs: 0,
    onRefusal: (_id, reason, detail) => {
      refusal = refusalMessage(camera, reason, detail);
    },
  });
  await relay.start(new AbortController().signal);
  try {
    return await grabFrame(target, {
      ffmpeg,
      open: (stream) => relay.open(stream, { lowLatency: true }),
      connectTimeoutMs: deps.connectTimeoutMs,
      timeoutMs: deps.connectTimeoutMs + KEY_FRAME_WAIT_MS,
      maxBytes: deps.maxBytes,
    });
  } catch (error) {
    throw refusal ? new CameraSnapshotError(refusal, { cause: error }) : error;
  } finally {
    await relay.stop();
  }
}

/**
 * A picture from an approved camera, to check its aim and focus: its snapshot address (Digest
 * only, no redirect), else one frame of its stream. The stream is used when the camera gives no
 * snapshot address or that address fails, not when the camera refused the credentials (one more
 * failed login would bring it closer to locking the account) nor when it is not the camera pinned.
 */
export async function takeSnapshot(
  camera: CameraRecord,
  options: { profile?: string | undefined; stream?: boolean },
  deps: SnapshotDeps,
): Promise<Snapshot> {
  const uri = options.stream ? undefined : snapshotUri(camera, options.profile);
  let why = options.stream
    ? "as asked with --stream"
    : `the camera gives no snapshot address${options.profile ? ` for profile ${options.profile}` : ""}`;
  if (uri) {
    try {
      const jpeg = await fetchSnapshot(uri, {
        credentials: deps.credentials,
        timeoutMs: deps.callTimeoutMs,
        maxBytes: deps.maxBytes,
        tlsFingerprint: camera.pin?.tlsFingerprint ?? null,
      });
      return { jpeg, source: "snapshot" };
    } catch (error) {
      if (error instanceof SnapshotError && error.reason === "refused")
        throw new CameraSnapshotError(
          `camera ${camera.id} refused its stored credentials for its snapshot: ${error.message}; fix: ${fixCredentials(camera.id)}`,
          { cause: error },
        );
      if (error instanceof SnapshotError && error.reason === "untrusted") throw error;
      why = `its snapshot address failed: ${(error as Error).message}`;
    }
  }
  return { jpeg: await frameOfStream(camera, options.profile, deps), source: "stream", why };
}
