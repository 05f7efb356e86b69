export {
  type FfmpegLocation,
  FfmpegNotFoundError,
  type FfmpegSource,
  locateFfmpeg,
} from "./ffmpeg-binary.js";
