import type { Credentials } from "../discovery/index.js";
import { REDACTED, redactText } from "../log/index.js";
import type { RelayTarget } from "../rtsp-relay/index.js";
import type { CameraRecord } from "../store/index.js";
import { orderProfiles, type RankedProfile } from "./profile-order.js";

const MAX_URI = 2048;

/** A camera stream as the RTSP relay reaches it: ffmpeg only ever gets a relay URL for it. */
export interface RecordingTarget extends RelayTarget {
  profileToken: string;
  /** The camera's URL, without credentials, for logs and status. */
  displayUrl: string;
  /** Every form of the password that could show up in ffmpeg's output. */
  secrets: string[];
}

type StoredProfile = RankedProfile;

/**
 * The stream to record for a camera: the profile named in config, else the largest (the main
 * stream; see orderProfiles for profiles that report no size). The camera's URI is untrusted: it must be rtsp(s)://, bounded, free
 * of control characters, and its own user-info is dropped; our credentials stay beside the URL,
 * for the relay only.
 */
export function recordingTarget(
  camera: CameraRecord,
  options: {
    profile?: string | undefined;
    credentials?: Credentials | undefined;
    /** Without a named profile: the smallest stream (a live view) instead of the largest. */
    smallest?: boolean;
    /** A technician allowed this camera's password to go out with Basic authentication. */
    allowBasicAuth?: boolean | undefined;
  },
): RecordingTarget | { skip: string } {
  const profiles = (camera.profiles as StoredProfile[]).filter(
    (profile) => typeof profile.token === "string" && typeof profile.streamUri === "string",
  );
  const chosen = options.profile
    ? profiles.find((profile) => profile.token === options.profile)
    : orderProfiles(profiles, options.smallest ? "smallest" : "largest")[0];
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
  const secrets: string[] = [];
  const password = options.credentials?.password ?? "";
  if (password.length > 0) secrets.push(password, encodeURIComponent(password));
  return {
    cameraId: camera.id,
    profileToken: chosen.token as string,
    url: url.href,
    displayUrl: url.href,
    credentials: options.credentials,
    allowBasicAuth: options.allowBasicAuth === true,
    secrets,
  };
}

/** Whether two targets would reach the camera alike (same URL, credentials and Basic choice). */
export function sameTarget(a: RecordingTarget, b: RecordingTarget): boolean {
  return (
    a.url === b.url &&
    a.allowBasicAuth === b.allowBasicAuth &&
    a.credentials?.username === b.credentials?.username &&
    a.credentials?.password === b.credentials?.password
  );
}

/** A line of ffmpeg's output with the target's password (in every form) and URL credentials hidden. */
export function redactForTarget(line: string, target: Pick<RecordingTarget, "secrets">): string {
  let text = redactText(line);
  for (const secret of target.secrets) text = text.split(secret).join(REDACTED);
  return text;
}
