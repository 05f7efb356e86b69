import type { Credentials } from "../discovery/index.js";
import { REDACTED, redactText } from "../log/index.js";
import type { CameraRecord } from "../store/index.js";

const MAX_URI = 2048;

export interface RecordingTarget {
  cameraId: string;
  profileToken: string;
  /** What ffmpeg opens, credentials included. */
  url: string;
  /** The same without credentials, for logs and status. */
  displayUrl: string;
  /** Every form of the password that could show up in ffmpeg's output. */
  secrets: string[];
}

interface StoredProfile {
  token?: unknown;
  width?: unknown;
  height?: unknown;
  streamUri?: unknown;
}

function pixels(profile: StoredProfile): number {
  const width = typeof profile.width === "number" ? profile.width : 0;
  const height = typeof profile.height === "number" ? profile.height : 0;
  return width * height;
}

/**
 * The stream to record for a camera: the profile named in config, else the one with the most
 * pixels (the main stream). The camera's URI is untrusted: it must be rtsp(s)://, bounded, free
 * of control characters, and its own user-info is replaced by ours.
 */
export function recordingTarget(
  camera: CameraRecord,
  options: {
    profile?: string | undefined;
    credentials?: Credentials | undefined;
    /** Without a named profile: the smallest stream (a live view) instead of the largest. */
    smallest?: boolean;
  },
): RecordingTarget | { skip: string } {
  const profiles = (camera.profiles as StoredProfile[]).filter(
    (profile) => typeof profile.token === "string" && typeof profile.streamUri === "string",
  );
  const chosen = options.profile
    ? profiles.find((profile) => profile.token === options.profile)
    : [...profiles].sort((a, b) => (pixels(b) - pixels(a)) * (options.smallest ? -1 : 1))[0];
  if (!chosen) {
    return {
      skip: options.profile
        ? `profile ${options.profile} has no stream URI in the inventory`
        : "no profile with a stream URI in the inventory (interrogate the camera with credentials)",
    };
  }
  const raw = chosen.streamUri as string;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (raw.length > MAX_URI || /[\u0000-\u001f\u007f\s]/.test(raw))
    return { skip: "the camera's stream URI is malformed" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { skip: "the camera's stream URI is malformed" };
  }
  if (url.protocol !== "rtsp:" && url.protocol !== "rtsps:")
    return { skip: `the camera offers ${url.protocol} streams, not rtsp` };
  url.username = "";
  url.password = "";
  const displayUrl = url.href;
  const secrets: string[] = [];
  if (options.credentials) {
    url.username = encodeURIComponent(options.credentials.username);
    url.password = encodeURIComponent(options.credentials.password);
    const { password } = options.credentials;
    if (password.length > 0) secrets.push(password, encodeURIComponent(password));
  }
  return {
    cameraId: camera.id,
    profileToken: chosen.token as string,
    url: url.href,
    displayUrl,
    secrets,
  };
}

/** A line of ffmpeg's output with the target's password (in every form) and URL credentials hidden. */
export function redactForTarget(line: string, target: Pick<RecordingTarget, "secrets">): string {
  let text = redactText(line);
  for (const secret of target.secrets) text = text.split(secret).join(REDACTED);
  return text;
}
