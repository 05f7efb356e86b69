import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "../../src/agent.js";
import type { AgentEvents } from "../../src/agent-events.js";
import { silentLogger } from "../../src/log/index.js";
import { hashFile, type ExportResult } from "../../src/recorder/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import {
  decodeErrors,
  frameSizes,
  seedCameras,
  startGstRtspMounts,
  waitFor,
  writeRecorderConfig,
} from "../helpers/recording.js";
import { RtpJumpRelay } from "../helpers/rtp-jump-relay.js";
import { Cleanups, tempDir } from "../helpers/temp.js";

const SEGMENT_SECONDS = 4;
const HOST = "127.0.111.10";
const RESTARTING = "127.0.111.11";

// What `recordings export` makes of three cameras from GStreamer's RTSP server: one whose
// picture size changes while it streams, one restarted with another size (H.265), one whose
// clock jumps an hour ahead and then ten minutes back. Every export must decode to its end,
// each part at its own size and tag, and last the wall time it spans.
describe("recordings export: parameter changes, restarts and clock jumps", () => {
  const cleanups = new Cleanups();
  let dir = "";
  let configFile = "";
  let store: Store | undefined;
  const closed: SegmentRecord[] = [];
  const events: AgentEvents["boxEvent"][] = [];
  const segmentsOf = (id: string) => closed.filter((s) => s.cameraId === id).length;
  const eventsOf = (cameraId: string, kind: string) =>
    events.filter((event) => event.cameraId === cameraId && event.kind === kind);

  before(async () => {
    dir = await tempDir(cleanups, "camgate-export-streams-");
    const gst = await startGstRtspMounts(cleanups, HOST, 8554, [
      "/grow?size=320x240&resize=480x270@16",
      "/jump",
    ]);
    const hevc = "/cam?video=h265&fps=10&kbps=150";
    const firstCamera = new Cleanups();
    cleanups.after(() => firstCamera.run());
    const restarting = await startGstRtspMounts(firstCamera, RESTARTING, 8554, [
      `${hevc}&size=320x240`,
    ]);
    const relay = new RtpJumpRelay({ host: HOST, port: 8554 });
    const jumpy = await relay.start(cleanups, "127.0.111.12", 8554);
    const written = await writeRecorderConfig(dir, [
      `storage: {dir: ${join(dir, "recordings")}, segmentSeconds: ${SEGMENT_SECONDS}, minFreeBytes: 0}`,
      "recorder: {connectTimeout: 10s, restartDelayMax: 2s}",
    ]);
    configFile = written.file;
    await seedCameras(written.config, [
      { id: "grow", ip: "127.0.111.13", streamUri: `${gst}/grow` },
      { id: "restarted", ip: RESTARTING, streamUri: `${restarting}/cam` },
      { id: "jumpy", ip: "127.0.111.12", streamUri: `${jumpy}/jump` },
    ]);
    const agent = Agent.fromConfig(written.config, silentLogger());
    agent.bus.on("segmentClosed", ({ segment }) => closed.push(segment));
    agent.bus.on("boxEvent", (event) => events.push(event));
    await agent.start(new AbortController().signal);
    store = agent.components.find((c) => c.name === "store") as Store;

    const resize = async () => {
      await waitFor(
        "the new size",
        () => eventsOf("grow", "recording_discontinuity").length > 0,
        90_000,
      );
      const recorded = segmentsOf("grow");
      await waitFor("grow recording again", () => segmentsOf("grow") >= recorded + 2, 60_000);
    };
    const restart = async () => {
      await waitFor("restarted recording", () => segmentsOf("restarted") >= 3, 60_000);
      // The camera reboots with another picture size, as after a settings change.
      await firstCamera.run();
      await startGstRtspMounts(cleanups, RESTARTING, 8554, [`${hevc}&size=480x270`]);
      await waitFor(
        "the new size recorded",
        () => closed.filter((s) => s.cameraId === "restarted" && s.width === 480).length >= 2,
        90_000,
      );
    };
    const jumps = async () => {
      for (const [index, seconds] of [3600, -600].entries()) {
        const recorded = segmentsOf("jumpy");
        await waitFor("jumpy recording", () => segmentsOf("jumpy") >= recorded + 2, 60_000);
        relay.jump(seconds);
        await waitFor(
          `the jump of ${seconds} s noticed`,
          () => eventsOf("jumpy", "recording_discontinuity").length > index,
          60_000,
        );
      }
      const recorded = segmentsOf("jumpy");
      await waitFor("jumpy recording again", () => segmentsOf("jumpy") >= recorded + 2, 60_000);
    };
    await Promise.all([resize(), restart(), jumps()]);
    await agent.stop();
  });

  after(async () => {
    store?.close();
    await cleanups.run();
  });

  /** `recordings export` of a camera's whole recording: the CLI's answer and the sidecar. */
  const exportAll = async (camera: string) => {
    assert.ok(store);
    const rows = store.open().segments.overlapping(camera, 0, Number.MAX_SAFE_INTEGER);
    const fromMs = rows[0]?.startMs ?? 0;
    const toMs = rows.at(-1)?.endMs ?? 0;
    const output = join(dir, `${camera}.mp4`);
    const done = await runCamgate([
      ...["recordings", "export", "--camera", camera, "--from", new Date(fromMs).toISOString()],
      ...["--to", new Date(toMs).toISOString(), "-o", output, "--json", "--config", configFile],
    ]);
    assert.equal(done.code, 0, done.stderr);
    const result = JSON.parse(done.stdout) as ExportResult;
    const sidecar = JSON.parse(await readFile(`${output}.json`, "utf8")) as ExportResult;
    assert.deepEqual(sidecar, result, "the sidecar says what the command said");
    return { result, rows, output, spanMs: toMs - fromMs };
  };

  /** Every part decodes to its end, holds one picture size, and is as long as its span. */
  const checkParts = async (result: ExportResult, rows: SegmentRecord[]) => {
    for (const part of result.parts) {
      assert.equal(await decodeErrors(part.path), "", part.path);
      assert.deepEqual(await hashFile(part.path), { bytes: part.bytes, sha256: part.sha256 });
      const sizes = await frameSizes(part.path);
      assert.deepEqual(sizes, [`${part.media.width},${part.media.height}`], part.path);
      const sources = rows.filter((row) => part.segments.includes(row.id));
      assert.ok(
        sources.every((row) => row.width === part.media.width && row.height === part.media.height),
        `${part.path}: made of segments of its size`,
      );
      assert.equal(part.from, new Date(sources[0]?.startMs ?? 0).toISOString());
      assert.equal(part.to, new Date(sources.at(-1)?.endMs ?? 0).toISOString());
      assert.ok(
        Math.abs(part.durationSec - part.spanSec) <= SEGMENT_SECONDS,
        `${part.path}: ${part.durationSec} s of video for ${part.spanSec} s of wall time`,
      );
    }
    assert.deepEqual(
      result.parts.flatMap((part) => part.segments),
      rows.map((row) => row.id),
      "every segment in one part, in order",
    );
  };

  it("splits a change of picture size in the stream into parts that each decode at their size", async () => {
    const { result, rows, output } = await exportAll("grow");
    assert.deepEqual(
      result.parts.map((part) => [part.path, part.media.codec, part.media.tag, part.media.width]),
      [
        [join(dir, "grow.part1.mp4"), "h264", "avc1", 320],
        [join(dir, "grow.part2.mp4"), "h264", "avc1", 480],
      ],
    );
    await assert.rejects(stat(output), { code: "ENOENT" }, "no file of both sizes");
    await checkParts(result, rows);
  });

  it("splits a camera restarted at another size into parts tagged hvc1, the gap listed", async () => {
    const { result, rows } = await exportAll("restarted");
    assert.deepEqual(
      result.parts.map((part) => [part.media.codec, part.media.tag, part.media.height]),
      [
        ["hevc", "hvc1", 240],
        ["hevc", "hvc1", 270],
      ],
    );
    await checkParts(result, rows);
    const [before, after] = result.parts;
    assert.ok(before && after);
    assert.equal(result.gapPolicy, "kept");
    const between = result.gaps.filter((gap) => gap.part === null);
    if (Date.parse(after.from) - Date.parse(before.to) > 1000)
      assert.deepEqual(between, [
        {
          from: before.to,
          to: after.from,
          seconds: (Date.parse(after.from) - Date.parse(before.to)) / 1000,
          part: null,
          atSec: null,
        },
      ]);
  });

  it("exports across clock jumps one part that decodes, as long as the wall time it spans", async () => {
    const { result, rows, spanMs } = await exportAll("jumpy");
    assert.equal(result.parts.length, 1, JSON.stringify(result.parts));
    await checkParts(result, rows);
    const gapsSec = result.gaps.reduce((sum, gap) => sum + gap.seconds, 0);
    assert.ok(
      Math.abs(result.durationSec - spanMs / 1000) <= SEGMENT_SECONDS,
      `${result.durationSec} s of video for ${spanMs / 1000} s of wall time`,
    );
    assert.ok(
      Math.abs(result.durationSec - (result.recordedSec + gapsSec)) <= SEGMENT_SECONDS,
      `${result.durationSec} s = ${result.recordedSec} s recorded + ${gapsSec} s of gaps`,
    );
    for (const gap of result.gaps) {
      assert.equal(gap.part, 1);
      assert.ok(gap.atSec !== null && gap.atSec > 0 && gap.atSec < result.durationSec);
    }
  });
});
