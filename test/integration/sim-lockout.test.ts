import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestAuthorization } from "../../src/discovery/http-digest.js";
import { D724_LOCKOUT } from "../../src/sim/index.js";
import { httpRequest, rtspRequest, soapCall } from "../helpers/protocols.js";
import { hardenedCameras } from "../helpers/site.js";

describe("a simulated camera with a brute-force lockout", () => {
  it("counts failed logins on ONVIF, HTTP and RTSP, then refuses the right password everywhere", async (t) => {
    // D724's threshold, with a window and a lock long enough that no pause of the machine matters.
    const policy = { ...D724_LOCKOUT, windowMs: 3_600_000, lockMs: 3_600_000 };
    const sim = await hardenedCameras(t, "127.0.46.20", 1, {
      override: () => ({ lockout: policy }),
    });
    const camera = sim.cameras[0]!;
    const [info] = sim.describe();
    const { username, password, xaddr, snapshot } = info!;
    const stream = info!.streams[0]!;
    const streamUrl = new URL(stream);

    const onvif = (pass: string) =>
      soapCall(xaddr, "<tds:GetDeviceInformation/>", { username, password: pass });
    const http = async (pass: string) => {
      const challenge = await httpRequest(snapshot);
      const url = new URL(snapshot);
      const authorization = digestAuthorization(
        challenge.headers["www-authenticate"],
        "GET",
        url.pathname + url.search,
        username,
        pass,
      );
      return httpRequest(snapshot, { headers: { Authorization: authorization ?? "" } });
    };
    const rtsp = async (pass: string) => {
      const host = streamUrl.hostname;
      const port = Number(streamUrl.port || 554);
      const challenge = await rtspRequest(host, port, "DESCRIBE", stream);
      const authorization = digestAuthorization(
        challenge.headers.get("www-authenticate"),
        "DESCRIBE",
        stream,
        username,
        pass,
      );
      return rtspRequest(host, port, "DESCRIBE", stream, { Authorization: authorization ?? "" });
    };

    assert.equal((await onvif(password)).status, 200);
    assert.equal((await http(password)).status, 200);
    assert.equal((await rtsp(password)).status, 200);
    assert.deepEqual(camera.lockout.failures(), [], "challenges and good logins are no failures");

    assert.notEqual((await onvif("wrong")).status, 200);
    assert.equal((await http("wrong")).status, 401);
    assert.equal((await rtsp("wrong")).status, 401);
    assert.equal((await http("wrong")).status, 401);
    assert.equal(camera.lockout.failures().length, 4);
    assert.equal(camera.lockout.isLocked(), false);
    assert.equal((await onvif(password)).status, 200, "4 failures: still open");

    assert.notEqual((await rtsp("wrong")).status, 200);
    assert.equal(camera.lockout.isLocked(), true, "the fifth failure locks");
    assert.notEqual((await onvif(password)).status, 200);
    assert.equal((await http(password)).status, 401);
    assert.equal((await rtsp(password)).status, 401);
    assert.equal(camera.lockout.locks().length, 1);
  });
});
