import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rtspCameraUrl, rtspObservation, RtspUrlError } from "../../src/discovery/index.js";

describe("rtsp camera", () => {
  it("takes an rtsp(s) URL at a LAN address, as given", () => {
    for (const url of [
      "rtsp://192.168.1.64:554/Streaming/Channels/101",
      "rtsps://10.0.0.5:322/live?channel=1&subtype=0",
      "rtsp://172.20.3.4/cam/realmonitor",
      "rtsp://[fe80::1]/live",
      "rtsp://127.0.100.30:8554/live",
    ])
      assert.equal(rtspCameraUrl(url).href, new URL(url).href);
  });

  it("refuses what it will not use, saying why in English and Vietnamese", () => {
    for (const [url, en, vi] of [
      ["rtsp://admin:12345@192.168.1.64/live", /holds a username or password/, /mật khẩu/],
      ["rtsp://admin@192.168.1.64/live", /holds a username or password/, /mật khẩu/],
      ["http://192.168.1.64/live", /http:\/\/ is not a camera stream/, /không phải luồng/],
      ["rtsp://8.8.8.8/live", /8\.8\.8\.8 is not an address on the camera LAN/, /mạng LAN/],
      ["rtsp://camera.example.com/live", /is not an address on the camera LAN/, /IP nội bộ/],
      ["rtsp://[2001:db8::1]/live", /is not an address on the camera LAN/, /IP nội bộ/],
      ["192.168.1.64", /not a URL/, /không phải một địa chỉ URL/],
      ["rtsp://192.168.1.64/a b", /spaces or control characters/, /khoảng trắng/],
      ["rtsp://192.168.1.64/a\r\nX: 1", /spaces or control characters/, /khoảng trắng/],
      [`rtsp://192.168.1.64/${"a".repeat(3000)}`, /longer than 2048/, /dài quá/],
      ["rtsp://192.168.1.64/live#x", /no #fragment/, /fragment/],
    ] as const) {
      assert.throws(
        () => rtspCameraUrl(url),
        (error: Error) => {
          assert.ok(error instanceof RtspUrlError, url);
          assert.match(error.message, en, url);
          assert.match(error.message, vi, url);
          assert.ok(!error.message.includes("12345"), "a password in the URL is not echoed");
          return true;
        },
      );
    }
  });

  it("is kept with no ONVIF address and one profile holding the URL", () => {
    const url = rtspCameraUrl("rtsp://192.168.1.64:554/Streaming/Channels/101");
    const observation = rtspObservation(url, { name: "Gate", nowMs: 5 });
    assert.deepEqual(observation.xaddrs, []);
    assert.equal(observation.ip, "192.168.1.64");
    assert.deepEqual(
      observation.profiles.map((p) => (p as { streamUri: string }).streamUri),
      [url.href],
    );
    assert.equal(
      rtspObservation(url, { nowMs: 6 }).id,
      observation.id,
      "the same URL, the same id",
    );
  });
});
