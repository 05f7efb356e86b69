import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { CamgateError } from "../errors.js";

export type FfmpegSource = "config" | "env" | "ffmpeg-static" | "PATH";

export interface FfmpegLocation {
  path: string;
  source: FfmpegSource;
}

export class FfmpegNotFoundError extends CamgateError {}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** ffmpeg-static is optional: its install downloads a binary, which may not have been possible. */
async function ffmpegStaticPath(): Promise<string | undefined> {
  try {
    // A non-literal specifier: the package may be absent, so TypeScript must not resolve it.
    const specifier = "ffmpeg-static";
    const module = (await import(specifier)) as { default?: unknown };
    return typeof module.default === "string" ? module.default : undefined;
  } catch {
    return undefined;
  }
}

/** The first `name` in an absolute PATH directory that is an executable file. */
export async function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds the ffmpeg to run: `recorder.ffmpegPath` from config, then CAMGATE_FFMPEG, then the
 * ffmpeg-static package's binary if it was installed, then `ffmpeg` on PATH. An explicitly
 * named binary that does not exist is an error, never silently replaced by another one.
 */
export async function locateFfmpeg(options: {
  configured?: string | undefined;
  env: NodeJS.ProcessEnv;
  staticPath?: () => Promise<string | undefined>;
}): Promise<FfmpegLocation> {
  const explicit: [FfmpegSource, string | undefined][] = [
    ["config", options.configured],
    ["env", options.env.CAMGATE_FFMPEG],
  ];
  for (const [source, path] of explicit) {
    if (path === undefined || path === "") continue;
    if (await isExecutable(path)) return { path, source };
    const origin = source === "config" ? "recorder.ffmpegPath" : "CAMGATE_FFMPEG";
    throw new FfmpegNotFoundError(`${origin} names ${path}, which is not an executable file`);
  }
  const bundled = await (options.staticPath ?? ffmpegStaticPath)();
  if (bundled && (await isExecutable(bundled))) return { path: bundled, source: "ffmpeg-static" };
  const onPath = await findOnPath("ffmpeg", options.env);
  if (onPath) return { path: onPath, source: "PATH" };
  throw new FfmpegNotFoundError(
    "ffmpeg not found: set recorder.ffmpegPath or CAMGATE_FFMPEG, or install it (apt-get install ffmpeg)",
  );
}
