import assert from "node:assert/strict";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { parseConfigText } from "../../src/config/index.js";
import type { Demo } from "../../src/demo/demo.js";
import { DemoView } from "../../src/demo/demo-view.js";
import { silentLogger } from "../../src/log/index.js";
import { waitFor } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";

describe("demo view", () => {
  it("draws on the alternate screen and leaves the last picture in the scrollback", async (t) => {
    const dir = await tempDir(t);
    const config = parseConfigText(
      `site: {id: demo-site}\nstore: {path: ${join(dir, "camgate.db")}}\n`,
      "demo.yaml",
      {},
    );
    let written = "";
    const out = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          written += chunk.toString("utf8");
          done();
        },
      }),
      { isTTY: true },
    );
    const demo = {
      startedAt: Date.now(),
      center: undefined,
      brokerUrl: "mqtts://127.0.0.1:1",
      simulated: () => undefined,
    } as unknown as Demo;
    const view = new DemoView(demo, config, out, silentLogger());
    await view.start(new AbortController().signal);
    await waitFor("a picture", () => written.includes("camgate demo · site demo-site"), 10_000);
    await view.stop();
    assert.ok(written.startsWith("\x1b[?1049h"), "enters the alternate screen first");
    const leave = written.lastIndexOf("\x1b[?1049l");
    assert.ok(leave > 0, "leaves it at the end");
    const after = written.slice(leave + "\x1b[?1049l".length);
    assert.match(after, /^camgate demo · site demo-site/);
    assert.ok(!after.includes("\x1b[2J"), "the last picture is not cleared away");
    await view.stop(); // idempotent
  });
});
