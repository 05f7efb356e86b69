import type { Logger } from "../log/index.js";
import type { PayloadFormat, StreamBreak } from "../rtsp-relay/index.js";
import type { SegmentMedia } from "../store/index.js";
import {
  type AudioMode,
  type AudioPlan,
  audioNotRecorded,
  audioPlan,
  firstAudio,
} from "./audio-plan.js";
import type { FfmpegProcess, LineRing } from "./ffmpeg-process.js";
import { type MediaFacts, segmentMedia } from "./media-probe.js";
import type { RunTimeline } from "./segment-timing.js";

/** Why a run's video cannot be stored as it comes: the camera is not recorded. */
export interface Refusal {
  reason: "no_video";
  /** What the camera sends, as ffmpeg named it (mjpeg), if it did. */
  codec: string | null;
  message: string;
}

export type RunBreak =
  | (StreamBreak & { detectedBy: "relay" })
  | { kind: "timestamp_jump"; detectedBy: "segment"; detail: string };

/** One ffmpeg run: its segments share one stream timeline and one set of media parameters. */
export interface Run {
  id: string;
  startedMs: number;
  incoming: string;
  timeline: RunTimeline;
  stderr: LineRing;
  stalled: boolean;
  code: number | null;
  segments: number;
  /** Stream time where the last closed segment ended (a leftover continues from it). */
  lastEndSec: number;
  /** What the run's segments hold: ffprobe of its first segment that could be probed. */
  media: SegmentMedia | undefined;
  /** The stream broke (a timestamp jump, new parameters): the run ends, a new one starts. */
  broke: RunBreak | undefined;
  refused: Refusal | undefined;
  /** The codec ffmpeg said it could only store as private data. */
  unstorable: string | undefined;
  /** Closed segments that could not be checked (ffprobe or ffmpeg did not run): left for reconcile. */
  unchecked: Set<string>;
  process: FfmpegProcess | undefined;
  /** What the run's ffmpeg does with the camera's audio (default: nothing). */
  audio?: AudioPlan;
  /**
   * The camera's SDP called for other audio arguments than the run was started with: it is
   * stopped before it writes anything and started again at once, without an event.
   */
  replanned?: boolean;
}

/** ffmpeg's warning when a stream has no MPEG-TS stream type (MJPEG): the codec it names. */
const PRIVATE_DATA = /codec (\w{1,32}), is muxed as a private data stream/;

/**
 * What one camera's runs tell about its stream, from run to run: whether what it sends can be
 * stored, whether an SPS change means anything, what it sends that is not recorded.
 */
export class StreamWatch {
  /** What the run before held, when the guard ended it for new parameters. */
  #changedFrom: SegmentMedia | undefined;
  /** Runs in a row that the guard ended for new parameters, which were the same again. */
  #falseChanges = 0;
  #watchParameters = true;
  #audioTold = false;
  /** The camera's audio as its last SDP declared it; undefined until an SDP was seen. */
  #audio: PayloadFormat | null | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly audioMode: AudioMode = "drop",
  ) {}

  /** What the next run does with the camera's audio, from what it sent last time. */
  get audioPlan(): AudioPlan {
    return audioPlan(this.audioMode, this.#audio);
  }

  /** Whether the relay should cut the stream where its SPS changes. */
  get watchParameters(): boolean {
    return this.#watchParameters;
  }

  /** A line of ffmpeg's output: the codec it cannot store, if it says so. */
  heard(run: Run, line: string): void {
    run.unstorable ??= PRIVATE_DATA.exec(line)?.[1];
  }

  /**
   * The camera's SDP, as a run's ffmpeg asked for it: audio that is not recorded is said once;
   * "replan" when the run was started with audio arguments that do not fit (it has written
   * nothing yet: it is to be stopped and started again).
   */
  described(run: Run, formats: readonly PayloadFormat[]): "replan" | "go" {
    const audio = firstAudio(formats);
    this.#audio = audio;
    const plan = this.audioPlan;
    if (audio && !this.#audioTold) {
      const note = audioNotRecorded(this.audioMode, audio);
      this.#audioTold = note !== undefined;
      if (note) this.logger.info({ audio: `${audio.encoding}/${audio.clockRate}` }, note);
    }
    // Without audio, an audio map (optional) maps nothing: no need to start again.
    if (audio === null || plan === (run.audio ?? "none") || run.segments > 0) return "go";
    run.replanned = true;
    return "replan";
  }

  /**
   * What a run's first probed segment says: its media (kept), a file that is not even a
   * container (dropped, the next one is probed), or a stream with no video stream MPEG-TS can
   * carry (dropped, and the run refused).
   */
  judge(run: Run, facts: MediaFacts): "keep" | "drop" {
    if (facts.video) {
      run.media = segmentMedia(facts);
      this.#checkChange(run.media);
      return "keep";
    }
    if (facts.streams === 0) return "drop";
    const codec = run.unstorable ?? null;
    run.refused = {
      reason: "no_video",
      codec,
      message:
        `its stream (${codec ?? "not video"}) cannot be stored without transcoding ` +
        `(MPEG-TS has no stream type for it); set the camera to H.264 or H.265`,
    };
    return "drop";
  }

  /** A run the guard ended: after new parameters, the next run's are compared with these. */
  ended(run: Run): void {
    if (run.broke?.kind === "parameters_changed") this.#changedFrom = run.media;
  }

  /**
   * A camera whose SPS changes while its codec and picture size do not (an encoder that
   * rewrites it for nothing) would have each run cut a keyframe later: after two such runs in a
   * row the guard stops watching its parameters (timestamps still are).
   */
  #checkChange(media: SegmentMedia): void {
    const before = this.#changedFrom;
    this.#changedFrom = undefined;
    if (!before) return;
    const same =
      before.videoCodec === media.videoCodec &&
      before.width === media.width &&
      before.height === media.height;
    this.#falseChanges = same ? this.#falseChanges + 1 : 0;
    if (this.#falseChanges < 2 || !this.#watchParameters) return;
    this.#watchParameters = false;
    this.logger.warn(
      { media },
      "the camera's SPS changes while its codec and size stay: no longer cut at an SPS change",
    );
  }
}
