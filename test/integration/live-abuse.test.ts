import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boxConnected, simulatedCameras, startBox } from "../helpers/box.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { childProcesses } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";
import { uplinkWorld } from "../helpers/uplink.js";

const SITE = "site-l";
/** A live view's ffmpeg (fragmented MP4 on a pipe), not a recorder's. */
const liveFfmpegs = () => childProcesses(/ffmpeg .*frag_keyframe/);

describe("live views under bursts of requests", () => {
  it(
    "concurrent live.start for one camera leave one ffmpeg, live.stop none; a view past uplink.maxLiveSessions is refused",
    { timeout: 120_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const cameras = await simulatedCameras(t, "127.0.83.10", 2, 43783);
      const [first, second] = cameras.map((camera) => camera.id) as [string, string];
      const box = await startBox(t, world, dir, SITE, cameras, {
        uplink: ", maxLiveSessions: 1",
        // Not recorded: the only ffmpegs are the live views.
        other: [
          `recorder: {forward: off, cameras: {${first}: {enabled: false}, ${second}: {enabled: false}}}`,
        ],
      });
      await boxConnected(box);
      const commands = await CommandClient.connect(t, world);
      const liveStart = (camera: string) =>
        commands.send(SITE, "live.start", { camera, seconds: 120, ...authorization() });

      for (let burst = 1; burst <= 3; burst++) {
        const began = Date.now();
        const replies = await Promise.all(Array.from({ length: 6 }, () => liveStart(first)));
        t.diagnostic(`burst ${burst}: ${Date.now() - began} ms`);
        assert.deepEqual(
          replies.map((reply) => reply.error?.code ?? "ok"),
          ["ok", "ok", "ok", "ok", "ok", "ok"],
        );
        const sessions = new Set(replies.map((reply) => reply.result?.["session"]));
        assert.equal(sessions.size, 6, "each request started (or restarted) the view");
        assert.equal((await liveFfmpegs()).length, 1, `burst ${burst}: one ffmpeg for the view`);
      }

      // The same request twice (a center retrying): one restart, the same reply to both.
      const request = { camera: first, seconds: 120, ...authorization() };
      const [once, twice] = await Promise.all([
        commands.send(SITE, "live.start", request),
        commands.send(SITE, "live.start", request),
      ]);
      assert.equal(once.ok, true, JSON.stringify(once));
      assert.deepEqual(twice, once);
      assert.equal((await liveFfmpegs()).length, 1);

      const refused = await liveStart(second);
      assert.equal(refused.error?.code, "live_limit", JSON.stringify(refused));
      assert.match(refused.error?.message ?? "", /uplink\.maxLiveSessions/);
      assert.equal((await liveFfmpegs()).length, 1);

      const stopped = await commands.send(SITE, "live.stop", { camera: first });
      assert.deepEqual(stopped.result, { stopped: true });
      assert.deepEqual(await liveFfmpegs(), [], "no ffmpeg left once the view is stopped");

      const other = await liveStart(second);
      assert.equal(other.ok, true, "the view freed its place");
      await commands.send(SITE, "live.stop", { camera: second });
      assert.deepEqual(await liveFfmpegs(), []);
    },
  );
});
