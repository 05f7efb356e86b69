import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { OnvifCallError } from "../../src/discovery/errors.js";
import { soapCall } from "../../src/discovery/soap-client.js";
import { soapEnvelope } from "../../src/onvif/index.js";

/** A device on loopback that answers as `answer` says: never, or with a reply. */
async function device(
  t: TestContext,
  answer: "never" | { status: number; body: string },
): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    if (answer === "never") return;
    res.writeHead(answer.status, { "Content-Type": "application/soap+xml" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`;
}

async function rejection(call: Promise<unknown>): Promise<OnvifCallError> {
  const error = await call.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OnvifCallError, String(error));
  return error;
}

describe("soapCall (discovery/soap-client)", () => {
  it("names a device that does not answer within the call's deadline", async (t) => {
    const xaddr = await device(t, "never");
    const outer = new AbortController();
    const error = await rejection(
      soapCall(xaddr, "<tds:GetSystemDateAndTime/>", { timeoutMs: 200, signal: outer.signal }),
    );
    assert.equal(error.kind, "timeout");
    assert.match(error.message, /127\.0\.0\.1:\d+ did not answer within 200 ms/);
    assert.equal(
      getEventListeners(outer.signal, "abort").length,
      0,
      "nothing left on the caller's signal",
    );
  });

  it("stops when the caller aborts, and does not call that the device's timeout", async (t) => {
    const xaddr = await device(t, "never");
    const outer = new AbortController();
    const call = soapCall(xaddr, "<tds:GetSystemDateAndTime/>", {
      timeoutMs: 600_000,
      signal: outer.signal,
    });
    outer.abort();
    const error = await rejection(call);
    assert.notEqual(error.kind, "timeout");
    const aborted = new AbortController();
    aborted.abort();
    assert.notEqual(
      (await rejection(soapCall(xaddr, "<x/>", { timeoutMs: 600_000, signal: aborted.signal })))
        .kind,
      "timeout",
      "a signal aborted before the call",
    );
  });

  it("a call that is answered leaves nothing behind on the caller's long-lived signal", async (t) => {
    const xaddr = await device(t, {
      status: 200,
      body: soapEnvelope("<tds:GetSystemDateAndTimeResponse/>"),
    });
    const outer = new AbortController();
    for (let i = 0; i < 20; i++)
      await soapCall(xaddr, "<tds:GetSystemDateAndTime/>", {
        timeoutMs: 5_000,
        signal: outer.signal,
      });
    assert.equal(getEventListeners(outer.signal, "abort").length, 0);
  });

  it("refuses a reply over its size cap", async (t) => {
    const xaddr = await device(t, { status: 200, body: soapEnvelope("x".repeat(4096)) });
    const error = await rejection(soapCall(xaddr, "<x/>", { timeoutMs: 5_000, maxBytes: 1024 }));
    assert.equal(error.kind, "too-large");
  });
});
