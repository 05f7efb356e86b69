import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { orderProfiles, recordingTarget } from "../../src/recorder/index.js";
import { cameraWithProfiles as camera } from "../helpers/inventory.js";

const chosen = (profiles: unknown[], smallest: boolean) => {
  const target = recordingTarget(camera(profiles), { smallest });
  assert.ok(!("skip" in target), "skip" in target ? target.skip : "");
  return target.profileToken;
};

describe("profile order", () => {
  it("profiles without a picture size: recorded main stream first, live view the last listed", () => {
    // As a camera whose encoder configuration has no Resolution lists them: main first.
    const profiles = [
      { token: "Profile_1", streamUri: "rtsp://127.0.0.10/live/ch0" },
      { token: "Profile_2", streamUri: "rtsp://127.0.0.10/live/ch1" },
      { token: "Profile_3", streamUri: "rtsp://127.0.0.10/live/ch2" },
    ];
    assert.equal(chosen(profiles, false), "Profile_1");
    assert.equal(chosen(profiles, true), "Profile_3");
  });

  it("what a profile's name or URI says beats the order it was listed in", () => {
    const profiles = [
      { token: "0", name: "SubStream", streamUri: "rtsp://127.0.0.10/Streaming/Channels/102" },
      { token: "1", name: "MainStream", streamUri: "rtsp://127.0.0.10/Streaming/Channels/101" },
    ];
    assert.equal(chosen(profiles, false), "1");
    assert.equal(chosen(profiles, true), "0");
    const dahua = [
      { token: "a", streamUri: "rtsp://127.0.0.10/cam/realmonitor?channel=1&subtype=1" },
      { token: "b", streamUri: "rtsp://127.0.0.10/cam/realmonitor?channel=1&subtype=0" },
    ];
    assert.equal(chosen(dahua, false), "b");
    assert.equal(chosen(dahua, true), "a");
  });

  it("profiles with a size come first, by pixels, in both directions; the rest after them", () => {
    const profiles = [
      { token: "unknown" },
      { token: "hd", width: 1280, height: 720 },
      { token: "zero", width: 0, height: 0 },
      { token: "fhd", width: 1920, height: 1080 },
    ];
    assert.deepEqual(
      orderProfiles(profiles, "largest").map((p) => p.token),
      ["fhd", "hd", "unknown", "zero"],
    );
    assert.deepEqual(
      orderProfiles(profiles, "smallest").map((p) => p.token),
      ["hd", "fhd", "zero", "unknown"],
    );
  });
});
