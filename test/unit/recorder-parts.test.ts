import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "../../src/lifecycle/index.js";
import {
  findGaps,
  parseSegmentListLine,
  recordArgs,
  recordingTarget,
  SegmentListError,
  segmentPath,
} from "../../src/recorder/index.js";
import { bytesToFree, quotaBytes } from "../../src/retention/index.js";
import { cameraWithProfiles as camera } from "../helpers/inventory.js";

describe("segment list lines", () => {
  it("parses ffmpeg's CSV lines", () => {
    assert.deepEqual(parseSegmentListLine("mwsn1a-000003.ts,15.900000,20.900000"), {
      file: "mwsn1a-000003.ts",
      startSec: 15.9,
      endSec: 20.9,
    });
  });

  it("refuses anything else", () => {
    for (const line of [
      "../etc/passwd.ts,0,1",
      "a.ts,1,0",
      "a.ts,1",
      "a.ts,-1,2",
      "a.ts,1e3,2",
      "a b.ts,0,1",
      "a.mp4,0,1",
      `${"a".repeat(600)}.ts,0,1`,
      '"a,b.ts",0,1',
    ]) {
      assert.throws(() => parseSegmentListLine(line), SegmentListError, line);
    }
  });
});

describe("recording target", () => {
  const main = { token: "main", width: 1920, height: 1080, streamUri: "rtsp://127.0.0.10/main" };
  const sub = { token: "sub", width: 640, height: 360, streamUri: "rtsp://127.0.0.10/sub" };

  it("records the profile with most pixels unless config names one", () => {
    const chosen = recordingTarget(camera([sub, main]), {});
    assert.ok(!("skip" in chosen));
    assert.equal(chosen.profileToken, "main");
    const named = recordingTarget(camera([sub, main]), { profile: "sub" });
    assert.ok(!("skip" in named) && named.profileToken === "sub");
    const missing = recordingTarget(camera([main]), { profile: "other" });
    assert.ok("skip" in missing && /other/.test(missing.skip));
  });

  it("keeps our credentials beside the URL, for the relay, and drops the camera's user-info", () => {
    const target = recordingTarget(
      camera([{ ...main, streamUri: "rtsp://camuser:campass@127.0.0.10:554/main?x=1" }]),
      { credentials: { username: "admin", password: "p@ss:w/rd" } },
    );
    assert.ok(!("skip" in target));
    assert.equal(target.url, "rtsp://127.0.0.10:554/main?x=1");
    assert.equal(target.displayUrl, "rtsp://127.0.0.10:554/main?x=1");
    assert.deepEqual(target.credentials, { username: "admin", password: "p@ss:w/rd" });
    assert.equal(target.allowBasicAuth, false);
    assert.deepEqual(target.secrets, ["p@ss:w/rd", "p%40ss%3Aw%2Frd"]);
    const basic = recordingTarget(camera([main]), { allowBasicAuth: true });
    assert.ok(!("skip" in basic) && basic.allowBasicAuth);
  });

  it("refuses URIs a camera should not hand out", () => {
    for (const streamUri of [
      "http://127.0.0.10/main",
      "rtsp://127.0.0.10/a\r\nInjected: 1",
      "rtsp://127.0.0.10/a b",
      `rtsp://127.0.0.10/${"a".repeat(3000)}`,
      "not a url",
    ]) {
      const target = recordingTarget(camera([{ ...main, streamUri }]), {});
      assert.ok("skip" in target, streamUri);
    }
  });
});

describe("ffmpeg arguments", () => {
  it("copy one video stream into MPEG-TS segments, listed on stdout, no shell involved", () => {
    const args = recordArgs({
      input: "rtsp://admin:x@127.0.0.10/main; rm -rf /",
      transport: "tcp",
      segmentSeconds: 10,
      connectTimeoutMs: 5000,
      outputPattern: "/rec/cam/.incoming/run-%06d.ts",
    });
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(after("-i"), "rtsp://admin:x@127.0.0.10/main; rm -rf /", "one argument, verbatim");
    assert.equal(after("-c:v"), "copy");
    assert.equal(after("-rtsp_transport"), "tcp");
    assert.equal(after("-segment_time"), "10");
    assert.equal(after("-segment_format"), "mpegts");
    assert.equal(after("-segment_format_options"), "flush_packets=1", "each picture on disk");
    assert.equal(after("-segment_list"), "pipe:1");
    assert.equal(after("-timeout"), "5000000");
    assert.equal(args.at(-1), "/rec/cam/.incoming/run-%06d.ts");
  });
});

describe("segment layout", () => {
  it("files segments by camera, UTC day and hour", () => {
    const path = segmentPath(
      "/rec",
      "cam-1",
      Date.UTC(2026, 10, 23, 2, 24, 51, 120),
      "r-000001.ts",
    );
    assert.equal(path, "/rec/cam-1/2026-11-23/02/20261123T022451120_r-000001.ts");
    assert.throws(() => segmentPath("/rec", "../etc", 0, "x.ts"), /cannot name a folder/);
    assert.throws(() => segmentPath("/rec", ".incoming", 0, "x.ts"), /cannot name a folder/);
  });
});

describe("gaps", () => {
  it("finds holes between segments and at the ends of the range", () => {
    const segments = [
      { startMs: 10_000, endMs: 20_000 },
      { startMs: 20_400, endMs: 30_000 },
      { startMs: 60_000, endMs: 70_000 },
    ];
    assert.deepEqual(findGaps(segments, { fromMs: 10_000, toMs: 70_000 }), [
      { fromMs: 30_000, toMs: 60_000 },
    ]);
    assert.deepEqual(findGaps(segments, { fromMs: 0, toMs: 80_000 }), [
      { fromMs: 0, toMs: 10_000 },
      { fromMs: 30_000, toMs: 60_000 },
      { fromMs: 70_000, toMs: 80_000 },
    ]);
  });
});

describe("backoff", () => {
  it("doubles up to the cap, with jitter within [step/2, step]", () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 8000, stableMs: 60_000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => low.next()),
      [500, 1000, 2000, 4000, 4000, 4000],
    );
    const high = new Backoff({
      initialMs: 1000,
      maxMs: 8000,
      stableMs: 60_000,
      random: () => 0.999,
    });
    assert.deepEqual(
      Array.from({ length: 5 }, () => high.next()),
      [1000, 1999, 3998, 7996, 7996],
    );
  });

  it("spreads a crowd and starts over after a stable run", () => {
    const delays = new Set(
      Array.from({ length: 50 }, () =>
        new Backoff({ initialMs: 1000, maxMs: 60_000, stableMs: 60_000 }).next(),
      ),
    );
    assert.ok(delays.size > 25, "fifty boxes do not retry in lockstep");
    const backoff = new Backoff({
      initialMs: 1000,
      maxMs: 60_000,
      stableMs: 60_000,
      random: () => 0,
    });
    for (let i = 0; i < 5; i++) backoff.next(10);
    assert.equal(backoff.next(10), 16_000);
    assert.equal(backoff.next(60_000), 500, "a stable run resets the delay");
  });
});

describe("quota", () => {
  it("takes the smaller of maxBytes and maxPercent, and keeps the reserve", () => {
    const disk = { totalBytes: 100_000, freeBytes: 50_000 };
    assert.equal(
      quotaBytes(
        { maxPercent: 90, minFreeBytes: 0, maxLockedPercent: 20, maxBytes: undefined },
        disk,
      ),
      90_000,
    );
    assert.equal(
      quotaBytes({ maxPercent: 90, minFreeBytes: 0, maxLockedPercent: 20, maxBytes: 5000 }, disk),
      5000,
    );
    assert.equal(
      bytesToFree({ storedBytes: 7000, quotaBytes: 5000, freeBytes: 50_000, minFreeBytes: 0 }),
      2000,
    );
    assert.equal(
      bytesToFree({ storedBytes: 1000, quotaBytes: 5000, freeBytes: 500, minFreeBytes: 3000 }),
      2500,
    );
    assert.equal(
      bytesToFree({
        storedBytes: 1000,
        quotaBytes: 5000,
        freeBytes: 9000,
        minFreeBytes: 3000,
        headroomBytes: 8000,
      }),
      2000,
    );
    assert.equal(
      bytesToFree({ storedBytes: 1000, quotaBytes: 5000, freeBytes: 9000, minFreeBytes: 3000 }),
      0,
    );
  });
});
