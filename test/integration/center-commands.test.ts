import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommandTimeoutError } from "../../src/center/index.js";
import { CommandClient } from "../helpers/commands.js";
import { tempDir } from "../helpers/temp.js";
import { uplinkWorld } from "../helpers/uplink.js";

describe("the center's command client", () => {
  // Found by the soak: the reply's timeout fired while the publish still waited for the broker,
  // nobody awaited the reply yet, and the rejection ended the process.
  it(
    "a command sent while the broker is away times out as an error of send(), and the client still closes",
    { timeout: 60_000 },
    async (t) => {
      const world = await uplinkWorld(t, await tempDir(t));
      const commands = await CommandClient.connect(t, world);
      await world.broker.stop();
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      t.after(() => process.off("unhandledRejection", onUnhandled));
      await assert.rejects(
        commands.send("site-x", "status.get", {}, { timeoutMs: 1_000 }),
        CommandTimeoutError,
      );
      assert.deepEqual(unhandled, []);
    },
  );
});
