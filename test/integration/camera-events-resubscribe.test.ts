import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { describe, it } from "node:test";
import { CameraEventService } from "../../src/camera-events/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { SimCamera } from "../../src/sim/index.js";
import type { EventRecord } from "../../src/store/index.js";
import { approvedSite } from "../helpers/event-site.js";
import { waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer } from "../helpers/temp.js";

const TWO_HOURS_MS = 2 * 3_600_000;
/** GetSystemDateAndTime has whole seconds: a measured clock offset is within 1 s. */
const CLOCK_RESOLUTION_MS = 1000;

function requests(camera: SimCamera, operation: string): number {
  return camera.journal.entries().filter((entry) => entry.operation === operation).length;
}

const SOAP = "http://www.w3.org/2003/05/soap-envelope";
const ENVELOPE_NS =
  `xmlns:s="${SOAP}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ` +
  `xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ` +
  `xmlns:wsa5="http://www.w3.org/2005/08/addressing"`;
const envelope = (body: string) =>
  `<?xml version="1.0"?><s:Envelope ${ENVELOPE_NS}><s:Body>${body}</s:Body></s:Envelope>`;

type Hostility = "endless" | "deep" | "mebibyte";

/**
 * A camera written to hurt: a working device and event service up to the pull point, then
 * PullMessages answered with an endless body, XML nested beyond any limit, or 1 MiB of it.
 * Counts the pulls and the bytes it managed to push.
 */
async function hostileCamera(t: Parameters<typeof defer>[0], host: string, how: Hostility) {
  const counts = { pulls: 0, bytes: 0 };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      const base = `http://${host}:${(server.address() as { port: number }).port}`;
      const reply = (xml: string) =>
        response.writeHead(200, { "content-type": "application/soap+xml" }).end(envelope(xml));
      if (body.includes("GetSystemDateAndTime"))
        return reply("<tds:GetSystemDateAndTimeResponse/>");
      if (body.includes("GetServices"))
        return reply(
          `<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace>` +
            `<tds:XAddr>${base}/onvif/events</tds:XAddr></tds:Service></tds:GetServicesResponse>`,
        );
      if (body.includes("CreatePullPointSubscription")) {
        const now = Date.now();
        return reply(
          `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>${base}/onvif/pull/1</wsa5:Address>` +
            `</tev:SubscriptionReference><wsnt:CurrentTime>${new Date(now).toISOString()}</wsnt:CurrentTime>` +
            `<wsnt:TerminationTime>${new Date(now + 60_000).toISOString()}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`,
        );
      }
      if (!body.includes("PullMessages")) return reply("");
      counts.pulls++;
      response.writeHead(200, { "content-type": "application/soap+xml" });
      const write = (text: string) => {
        counts.bytes += text.length;
        return response.write(text);
      };
      if (how === "mebibyte") {
        write(`<?xml version="1.0"?><s:Envelope ${ENVELOPE_NS}><s:Body><x>`);
        write("A".repeat(1024 * 1024));
        response.end("</x></s:Body></s:Envelope>");
      } else if (how === "deep") {
        response.end(envelope("<a>".repeat(5000) + "</a>".repeat(5000)));
      } else {
        // Never ends: writes as fast as the agent reads, until it hangs up.
        const pump = () => {
          while (!response.destroyed && write("<n>".repeat(1024)));
          if (!response.destroyed) response.once("drain", pump);
        };
        pump();
      }
    });
  });
  server.listen(0, host);
  await once(server, "listening");
  defer(
    t,
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as { port: number }).port;
  return { counts, xaddr: `http://${host}:${port}/onvif/device_service` };
}

describe("camera events: a pull point that ends is followed by a new one", () => {
  it("speaks WS-Addressing to the subscription manager, subscribes again after an expiry, a reboot and a clock jump without a report, loses no change, and keeps an object's class and plate", async (t) => {
    const sim = await hardenedCameras(t, "127.0.130.10", 3, {
      override: (index) =>
        [
          // Renew is answered but extends nothing: the subscription expires.
          { events: { flavour: "hikvision" as const, renewIgnored: true } },
          { events: { flavour: "dahua" as const } },
          { events: { flavour: "hikvision" as const } },
        ][index],
    });
    const { store, vault, bus, log, ids } = await approvedSite(t, sim.describe());
    const service = new CameraEventService({
      store,
      vault: { vault },
      bus,
      log,
      logger: silentLogger(),
      timing: {
        pullWaitMs: 1000,
        terminationMs: 6000,
        callTimeoutMs: 3000,
        retryInitialMs: 200,
        retryMaxMs: 1500,
      },
    });
    await service.start(new AbortController().signal);
    defer(t, () => service.stop());
    const [expiring, rebooting, jumping] = sim.cameras as [SimCamera, SimCamera, SimCamera];
    const [expiringId, rebootingId, jumpingId] = ids as [string, string, string];
    const eventsOf = (id: string): EventRecord[] => store.repos.events.list({ cameraId: id });
    const changes = (id: string) =>
      eventsOf(id)
        .reverse()
        .filter((event) => !event.kind.startsWith("camera_events"));
    const subscriptions = (camera: SimCamera) => requests(camera, "CreatePullPointSubscription");
    for (const camera of sim.cameras)
      await waitFor("a PullMessages long-poll", () => requests(camera, "PullMessages") > 0, 20_000);

    // Expiry: the first pull point runs out; a second one is made, and events still come.
    await waitFor("a second subscription", () => subscriptions(expiring) >= 2, 30_000);
    await waitFor("pulling again", () => expiring.events!.subscriptionCount === 1, 20_000);
    const before = Date.now();
    expiring.events!.object("LicensePlate", "30A-123.45");
    expiring.events!.object("Human");
    await waitFor("two objects", () => changes(expiringId).length >= 2, 20_000);
    const objects = changes(expiringId);
    assert.deepEqual(
      objects.map((event) => [event.kind, event.detail["phase"], event.detail["object"]]),
      [
        ["object", "pulse", { class: "plate", text: "30A-123.45" }],
        ["object", "pulse", { class: "human" }],
      ],
    );
    assert.ok(objects[0]!.tsMs >= before - CLOCK_RESOLUTION_MS);

    // A reboot that drops the pull point while the camera stays reachable; motion starts while
    // no subscription exists: the new one's synchronization point tells it.
    const rebootSubscriptions = subscriptions(rebooting);
    const rebootedMs = Date.now();
    rebooting.events!.dropSubscriptions();
    rebooting.events!.set("motion", true);
    await waitFor("motion after the reboot", () => changes(rebootingId).length >= 1, 20_000);
    assert.ok(subscriptions(rebooting) > rebootSubscriptions);
    rebooting.events!.set("motion", false);
    await waitFor("motion ended", () => changes(rebootingId).length >= 2, 20_000);
    const [start, end] = changes(rebootingId);
    assert.deepEqual(
      [start?.kind, start?.detail["phase"], end?.kind, end?.detail["phase"]],
      ["motion", "start", "motion", "end"],
    );
    assert.ok(start!.tsMs >= rebootedMs - CLOCK_RESOLUTION_MS);
    assert.equal(end!.detail["durationMs"], end!.tsMs - start!.tsMs);

    // The camera's clock jumps two hours: a fresh subscription, a fresh offset.
    const jumpSubscriptions = subscriptions(jumping);
    jumping.state.clockSkewMs = TWO_HOURS_MS;
    await waitFor(
      "subscribed after the jump",
      () => subscriptions(jumping) > jumpSubscriptions,
      20_000,
    );
    await waitFor("pulling again", () => jumping.events!.subscriptionCount === 1, 20_000);
    const jumpedMs = Date.now();
    jumping.events!.set("intrusion", true);
    const afterMs = Date.now();
    await waitFor("the intrusion", () => changes(jumpingId).length >= 1, 20_000);
    const intrusion = changes(jumpingId)[0]!;
    assert.equal(intrusion.kind, "intrusion");
    assert.ok(
      intrusion.tsMs >= jumpedMs - CLOCK_RESOLUTION_MS &&
        intrusion.tsMs <= afterMs + CLOCK_RESOLUTION_MS,
      `corrected time ${intrusion.tsMs} within ${jumpedMs}..${afterMs}`,
    );

    // Each new pull point is synchronized; nothing of this was a failure to report.
    for (const camera of sim.cameras)
      assert.ok(requests(camera, "SetSynchronizationPoint") >= subscriptions(camera));
    for (const id of ids)
      assert.deepEqual(
        eventsOf(id).filter((event) => event.kind.startsWith("camera_events")),
        [],
        id,
      );
    await service.stop();
    for (const camera of sim.cameras)
      assert.equal(camera.events!.subscriptionCount, 0, "unsubscribed on stop");
  });

  it("a camera that answers PullMessages with an endless body, XML nested too deep or 1 MiB is reported once, bounded and retried with backoff, while the others' events still flow", async (t) => {
    const sim = await hardenedCameras(t, "127.0.130.30", 1);
    const hostile = await Promise.all(
      (["endless", "deep", "mebibyte"] as const).map((how, index) =>
        hostileCamera(t, `127.0.130.${40 + index}`, how),
      ),
    );
    const site = [
      ...sim.describe(),
      ...hostile.map((camera, index) => ({
        urn: `urn:uuid:00000000-0000-4000-8000-00000000004${index}`,
        mac: null,
        address: `127.0.130.${40 + index}`,
        xaddr: camera.xaddr,
        username: "admin",
        password: "hostile-camera-1",
      })),
    ];
    const { store, vault, bus, log, ids } = await approvedSite(t, site);
    const service = new CameraEventService({
      store,
      vault: { vault },
      bus,
      log,
      logger: silentLogger(),
      timing: {
        pullWaitMs: 1000,
        terminationMs: 30_000,
        callTimeoutMs: 3000,
        retryInitialMs: 200,
        retryMaxMs: 1500,
      },
    });
    const startedMs = Date.now();
    await service.start(new AbortController().signal);
    defer(t, () => service.stop());
    const [good] = sim.cameras as [SimCamera];
    const [goodId, ...hostileIds] = ids as [string, ...string[]];
    for (const camera of hostile)
      await waitFor("three pulls", () => camera.counts.pulls >= 3, 30_000);
    await waitFor("a PullMessages long-poll", () => requests(good, "PullMessages") > 0, 20_000);
    const toggledMs = Date.now();
    good.events!.set("tamper", true);
    await waitFor(
      "the good camera's tamper",
      () => store.repos.events.list({ cameraId: goodId, kind: "tamper" }).length === 1,
      20_000,
    );
    const [tamper] = store.repos.events.list({ cameraId: goodId, kind: "tamper" });
    assert.ok(tamper!.tsMs >= toggledMs - CLOCK_RESOLUTION_MS);

    const reasons = hostileIds.map((id) =>
      store.repos.events
        .list({ cameraId: id })
        .map((event) => [event.kind, event.detail["reason"]]),
    );
    assert.deepEqual(reasons, [
      [["camera_events_unavailable", "too-large"]],
      [["camera_events_unavailable", "malformed"]],
      [["camera_events_unavailable", "too-large"]],
    ]);
    // Backoff with equal jitter, the step capped at 1.5 s: never sooner than half of it.
    const bound = 5 + (Date.now() - startedMs) / 750;
    for (const camera of hostile) assert.ok(camera.counts.pulls <= bound, `${camera.counts.pulls}`);
    // An endless reply is cut near the reply cap (256 KiB), whatever the socket buffers held.
    const endless = hostile[0]!.counts;
    assert.ok(endless.bytes / endless.pulls < 8 * 1024 * 1024, `${endless.bytes} bytes pushed`);
    await service.stop();
  });
});
