import type { PayloadFormat } from "../rtsp-relay/index.js";

/** `recorder.audio`: what becomes of a camera's audio. */
export type AudioMode = "drop" | "copy" | "transcode";
export const AUDIO_MODES = ["drop", "copy", "transcode"] as const satisfies readonly AudioMode[];

/**
 * What one ffmpeg run does with the camera's first audio stream: nothing, a copy (AAC, which
 * MPEG-TS and MP4 carry), or an encode to AAC (G.711 and anything else: MPEG-TS has no stream
 * type for G.711, it would be kept as unreadable private data).
 */
export type AudioPlan = "none" | "copy" | "aac";

/** AAC as RTP carries it (RFC 3640): what is copied as is. LATM would need a remux MP4 lacks. */
function isAac(format: PayloadFormat): boolean {
  return format.encoding === "MPEG4-GENERIC";
}

/**
 * The plan for a camera's audio, from the mode and what its SDP declared: `undefined` while
 * the SDP was not seen yet (then the likeliest plan; the run is started again at once, before
 * it writes anything, if the SDP says otherwise), `null` when the camera sends no audio.
 */
export function audioPlan(mode: AudioMode, audio: PayloadFormat | null | undefined): AudioPlan {
  if (mode === "drop" || audio === null) return "none";
  if (audio === undefined) return mode === "copy" ? "copy" : "aac";
  if (isAac(audio)) return "copy";
  return mode === "transcode" ? "aac" : "none";
}

/** ffmpeg output arguments for the plan, after the video's. */
export function audioArgs(plan: AudioPlan): string[] {
  switch (plan) {
    case "none":
      return [];
    case "copy":
      return ["-map", "0:a:0?", "-c:a", "copy"];
    case "aac":
      // ffmpeg's native encoder: G.711 at 8 kHz mono costs well under 1 % of a core.
      return ["-map", "0:a:0?", "-c:a", "aac", "-b:a", "32k"];
  }
}

/** What a technician is told, once per camera, about audio that is not recorded. */
export function audioNotRecorded(mode: AudioMode, audio: PayloadFormat): string | undefined {
  const plan = audioPlan(mode, audio);
  if (plan !== "none") return undefined;
  if (mode === "drop") return "audio not recorded (recorder.audio: drop)";
  return (
    `audio not recorded: ${audio.encoding} cannot be copied into MPEG-TS ` +
    `(recorder.audio: transcode records it as AAC)`
  );
}

/** The first audio format a camera's SDP declares, or null when it declares none. */
export function firstAudio(formats: readonly PayloadFormat[]): PayloadFormat | null {
  return formats.find((format) => format.media === "audio") ?? null;
}
