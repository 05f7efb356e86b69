import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplyCommits } from "../../src/camera-events/reply-commits.js";
import { uplinkParts } from "../helpers/uplink-parts.js";

const entry = (tsMs: number, phase: string) => ({ tsMs, kind: "motion", detail: { phase } });

describe("ReplyCommits (camera-events/reply-commits)", () => {
  it("replies that come within the delay are stored in one commit, each camera's events in order", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const { store, events } = await uplinkParts(t);
    const commits: string[][] = [];
    events.alongside((stored) =>
      commits.push(stored.map((e) => `${e.cameraId}:${String(e.detail.phase)}`)),
    );
    const replies = new ReplyCommits(events, 100);
    replies.add("cam-1", [entry(1, "start"), entry(2, "end")]);
    replies.add("cam-2", [entry(3, "start")]);
    replies.add("cam-1", []);
    t.mock.timers.tick(99);
    assert.deepEqual(commits, [], "nothing is committed before the delay is over");
    replies.add("cam-1", [entry(4, "start")]);
    t.mock.timers.tick(1);
    assert.deepEqual(commits, [["cam-1:start", "cam-1:end", "cam-2:start", "cam-1:start"]]);
    assert.equal(store.repos.events.after(0, 10).length, 4);

    replies.add("cam-2", [entry(5, "end")]);
    replies.flush();
    assert.deepEqual(commits.at(-1), ["cam-2:end"], "flush commits what waits at once");
    t.mock.timers.tick(100);
    assert.equal(commits.length, 2, "and leaves no commit behind for later");
  });

  it("with no delay, each reply is committed as it comes", async (t) => {
    const { events } = await uplinkParts(t);
    const commits: number[] = [];
    events.alongside((stored) => commits.push(stored.length));
    const replies = new ReplyCommits(events, 0);
    replies.add("cam-1", [entry(1, "start"), entry(2, "end")]);
    replies.add("cam-2", [entry(3, "start")]);
    assert.deepEqual(commits, [2, 1]);
  });
});
