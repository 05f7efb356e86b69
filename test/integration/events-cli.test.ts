import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import { Store } from "../../src/store/index.js";
import { runCamgate } from "../helpers/cli.js";
import { seedCameras, writeRecorderConfig } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";

describe("camgate events list", () => {
  it("lists camera and box events by camera, kind and time: site time for people, UTC in JSON", async (t) => {
    const dir = await tempDir(t);
    const { config, file } = await writeRecorderConfig(dir, [
      "site: {id: ev-site, timezone: Asia/Ho_Chi_Minh}",
    ]);
    await seedCameras(config, [
      { id: "cam-a", ip: "127.0.57.10", streamUri: "rtsp://127.0.57.10/a" },
      { id: "cam-b", ip: "127.0.57.11", streamUri: "rtsp://127.0.57.11/b" },
    ]);
    const store = new Store(config.store.path, silentLogger());
    const repos = store.open();
    const at = (hhmm: string) => Date.parse(`2026-11-23T${hhmm}:00.000Z`);
    const motion = { topic: "tns1:RuleEngine/CellMotionDetector/Motion" };
    repos.events.append({
      tsMs: at("01:00"),
      cameraId: "cam-a",
      kind: "motion",
      detail: { phase: "start", ...motion },
    });
    repos.events.append({
      tsMs: at("01:01"),
      cameraId: "cam-a",
      kind: "motion",
      detail: { phase: "end", durationMs: 60_000, ...motion },
    });
    repos.events.append({
      tsMs: at("01:02"),
      cameraId: "cam-b",
      kind: "tamper",
      detail: { phase: "start" },
    });
    repos.events.append({ tsMs: at("01:03"), cameraId: null, kind: "uplink_down", detail: {} });
    store.close();
    const cli = (args: string[]) => runCamgate(["--config", file, ...args]);

    const json = await cli(["--json", "events", "list", "--camera", "cam-a"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      (JSON.parse(json.stdout) as { ts: string; kind: string; detail: { phase: string } }[]).map(
        (event) => [event.ts, event.kind, event.detail.phase],
      ),
      [
        ["2026-11-23T01:00:00.000Z", "motion", "start"],
        ["2026-11-23T01:01:00.000Z", "motion", "end"],
      ],
    );
    const kinds = await cli(["--json", "events", "list", "--kind", "tamper"]);
    assert.deepEqual(
      (JSON.parse(kinds.stdout) as { cameraId: string }[]).map((event) => event.cameraId),
      ["cam-b"],
    );
    // Site time (UTC+7): 08:01 to 08:02 is 01:01Z to 01:02Z, both ends included.
    const range = await cli([
      "--json",
      "events",
      "list",
      "--from",
      "2026-11-23 08:01",
      "--to",
      "2026-11-23 08:02",
    ]);
    assert.deepEqual(
      (JSON.parse(range.stdout) as { kind: string }[]).map((event) => event.kind),
      ["motion", "tamper"],
    );

    const table = await cli(["events", "list"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0]!, /^TIME \(UTC\+07:00\)\s+CAMERA\s+KIND\s+PHASE\s+SECONDS\s+WHAT$/);
    assert.match(
      lines[2]!,
      /08:01:00.*cam-a\s+motion\s+end\s+60\.0\s+tns1:RuleEngine\/CellMotionDetector\/Motion/,
    );
    assert.match(lines[4]!, /08:03:00\s+-\s+uplink_down/);
    assert.equal(lines.at(-1), "4 events");

    // `status` says which cameras' events cannot be received, until they resume.
    const statusOf = async () =>
      Object.fromEntries(
        (
          JSON.parse((await cli(["--json", "status"])).stdout) as {
            cameras: { id: string; eventsUnavailable: string | null }[];
          }
        ).cameras.map((camera) => [camera.id, camera.eventsUnavailable]),
      );
    const append = (kind: string, detail: Record<string, unknown>) => {
      const writer = new Store(config.store.path, silentLogger());
      writer.open().events.append({ tsMs: Date.now(), cameraId: "cam-b", kind, detail });
      writer.close();
    };
    assert.deepEqual(await statusOf(), { "cam-a": null, "cam-b": null });
    append("camera_events_unavailable", { reason: "malformed", error: "unusable reply" });
    assert.deepEqual(await statusOf(), { "cam-a": null, "cam-b": "malformed" });
    append("camera_events_resumed", { topics: 3 });
    assert.deepEqual(await statusOf(), { "cam-a": null, "cam-b": null });

    const bad = await cli(["events", "list", "--from", "yesterday-ish"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from: not a time/);
  });
});
