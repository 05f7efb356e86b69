import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { FfmpegNotFoundError, locateFfmpeg } from "../../src/recorder/index.js";
import { tempDir } from "../helpers/temp.js";

async function fakeBinary(dir: string, name = "ffmpeg"): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, "#!/bin/sh\nexit 0\n");
  await chmod(path, 0o755);
  return path;
}

async function layout(t: TestContext) {
  const root = await tempDir(t);
  return {
    configured: await fakeBinary(join(root, "configured")),
    fromEnv: await fakeBinary(join(root, "env")),
    bundled: await fakeBinary(join(root, "static")),
    onPath: await fakeBinary(join(root, "bin")),
    pathDir: join(root, "bin"),
    root,
  };
}

describe("locating ffmpeg", () => {
  it("prefers config, then CAMGATE_FFMPEG, then ffmpeg-static, then PATH", async (t) => {
    const l = await layout(t);
    const staticPath = async () => l.bundled;
    const env = { CAMGATE_FFMPEG: l.fromEnv, PATH: `relative:${l.pathDir}` };
    assert.deepEqual(await locateFfmpeg({ configured: l.configured, env, staticPath }), {
      path: l.configured,
      source: "config",
    });
    assert.deepEqual(await locateFfmpeg({ env, staticPath }), { path: l.fromEnv, source: "env" });
    assert.deepEqual(await locateFfmpeg({ env: { PATH: l.pathDir }, staticPath }), {
      path: l.bundled,
      source: "ffmpeg-static",
    });
    assert.deepEqual(
      await locateFfmpeg({
        env: { PATH: `relative:${l.pathDir}` },
        staticPath: async () => undefined,
      }),
      {
        path: l.onPath,
        source: "PATH",
      },
    );
  });

  it("falls back to PATH when the optional ffmpeg-static package is absent", async (t) => {
    const l = await layout(t);
    const found = await locateFfmpeg({ env: { PATH: l.pathDir } });
    // In this repository ffmpeg-static may or may not have installed; either answer is a real binary.
    assert.ok(found.source === "ffmpeg-static" || found.path === l.onPath, JSON.stringify(found));
  });

  it("refuses an explicitly named binary that is missing instead of picking another", async (t) => {
    const l = await layout(t);
    await assert.rejects(
      locateFfmpeg({ configured: join(l.root, "missing"), env: { PATH: l.pathDir } }),
      (error: Error) =>
        error instanceof FfmpegNotFoundError && /recorder\.ffmpegPath/.test(error.message),
    );
    await assert.rejects(
      locateFfmpeg({ env: { CAMGATE_FFMPEG: join(l.root, "configured"), PATH: l.pathDir } }),
      /CAMGATE_FFMPEG names .* not an executable/,
    );
  });

  it("says how to install it when nothing is found", async (t) => {
    const root = await tempDir(t);
    await assert.rejects(
      locateFfmpeg({ env: { PATH: root }, staticPath: async () => undefined }),
      /apt-get install ffmpeg/,
    );
  });
});
