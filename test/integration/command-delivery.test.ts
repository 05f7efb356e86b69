import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import mqtt from "mqtt";
import type { CommandReply } from "../../src/center/index.js";
import { boxConnected, startBox } from "../helpers/box.js";
import { authorization } from "../helpers/commands.js";
import { startHostileDevice } from "../helpers/hostile-device.js";
import { waitFor } from "../helpers/recording.js";
import { type CleanupScope, defer, tempDir } from "../helpers/temp.js";
import { uplinkWorld, type UplinkWorld } from "../helpers/uplink.js";

/**
 * The center as a vendor would write it for commands that must not go unanswered: a persistent
 * session (clean start off), so the broker keeps what arrives for it while it or the box is away.
 */
async function durableCenter(t: CleanupScope, world: UplinkWorld, site: string) {
  const [ca, cert, key] = await Promise.all(
    [world.pki.ca, world.centerIdentity.cert, world.centerIdentity.key].map((file) =>
      readFile(file, "utf8"),
    ),
  );
  const client = await mqtt.connectAsync(world.broker.url, {
    protocolVersion: 5,
    clientId: `center-durable-${randomBytes(4).toString("hex")}`,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 500,
    ...{ ca, cert, key },
    rejectUnauthorized: true,
  });
  defer(t, () => client.endAsync(true));
  const replies = new Map<string, CommandReply[]>();
  client.on("message", (_topic, payload, packet) => {
    const key = packet.properties?.correlationData?.toString("hex") ?? "";
    replies.set(key, [
      ...(replies.get(key) ?? []),
      JSON.parse(payload.toString("utf8")) as CommandReply,
    ]);
  });
  await client.subscribeAsync(`camgate/v1/${site}/reply/#`, { qos: 1 });
  return {
    /** Publishes a command; returns its correlation data (hex), which the replies are keyed by. */
    async send(name: string, payload: Record<string, unknown>): Promise<string> {
      const correlation = randomBytes(8);
      await client.publishAsync(`camgate/v1/${site}/cmd/${name}`, JSON.stringify(payload), {
        qos: 1,
        properties: {
          responseTopic: `camgate/v1/${site}/reply/center`,
          correlationData: correlation,
        },
      });
      return correlation.toString("hex");
    },
    replies: (correlation: string) => replies.get(correlation) ?? [],
  };
}

describe("command replies", () => {
  it(
    "a reply the link drop cut off reaches the center once the link is back",
    { timeout: 90_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      // A device whose ONVIF answers wait for the test: discovery.run runs until it says so.
      let answer: () => void = () => undefined;
      const answered = new Promise<void>((resolve) => (answer = resolve));
      defer(t, () => answer());
      const device = await startHostileDevice(t, {
        address: "127.0.81.1",
        urn: "urn:uuid:5b0f2f51-7d5e-4d59-9a43-8f0b7a0c8101",
        answerAfter: answered,
      });
      const box = await startBox(t, world, dir, "site-r", [], {
        discovery:
          "{multicast: false, cidrs: [127.0.81.1/32], probeTimeout: 1s, callTimeout: 60s, intervalSeconds: 3600}",
        other: ["recorder: {enabled: false}"],
      });
      await mkdir(box.config.storage.dir, { recursive: true });
      await boxConnected(box);
      const center = await durableCenter(t, world, "site-r");
      // Told what the box receives, after its command service (the same filter: no second copy).
      const arrived: string[] = [];
      box.session.subscribe("camgate/v1/site-r/cmd/+", (message) => arrived.push(message.topic));

      const correlation = await center.send("discovery.run", {});
      await waitFor("the box has the command", () => arrived.length === 1, 30_000);
      await waitFor(
        "discovery waiting for the device",
        () => device.received().includes("GetSystemDateAndTime"),
        30_000,
      );
      await world.broker.stop();
      await waitFor("the box sees the link down", () => !box.session.connected, 30_000);
      answer();
      await waitFor(
        "the command carried out",
        () => box.store.repos.accessLog.list(10).some((e) => e.action === "cmd/discovery.run"),
        30_000,
      );
      assert.deepEqual(center.replies(correlation), [], "nothing can have arrived yet");

      await world.broker.resume();
      await waitFor(
        "the reply at the center",
        () => center.replies(correlation).length > 0,
        30_000,
      );
      const [reply] = center.replies(correlation);
      assert.equal(reply?.command, "discovery.run");
      assert.equal(reply?.ok, true, JSON.stringify(reply));
      assert.equal((reply?.result?.["round"] as { found: number }).found, 1);
    },
  );

  it(
    "a video command sent again with its nonce gets its first reply; another command with that nonce is refused",
    { timeout: 60_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const camera = {
        id: "cam-1",
        ip: "127.0.81.20",
        streamUri: "rtsp://127.0.81.20/x",
        username: "u",
        password: "p",
      };
      const box = await startBox(t, world, dir, "site-n", [camera], {
        other: ["recorder: {enabled: false}"],
      });
      await mkdir(box.config.storage.dir, { recursive: true });
      await boxConnected(box);
      const center = await durableCenter(t, world, "site-n");
      const now = Date.now();
      const lock = {
        camera: camera.id,
        from: new Date(now - 600_000).toISOString(),
        to: new Date(now).toISOString(),
        until: new Date(now + 86_400_000).toISOString(),
        reason: "evidence for case 17",
        ...authorization(),
      };
      const replyTo = async (name: string, payload: Record<string, unknown>) => {
        const correlation = await center.send(name, payload);
        await waitFor(`the reply to ${name}`, () => center.replies(correlation).length > 0, 30_000);
        return center.replies(correlation)[0]!;
      };
      const first = await replyTo("recordings.lock", lock);
      assert.equal(first.ok, true, JSON.stringify(first));
      const again = await replyTo("recordings.lock", lock);
      assert.deepEqual(again, first, "the first reply, word for word");
      const other = await replyTo("recordings.lock", { ...lock, reason: "another case" });
      assert.equal(other.error?.code, "replayed", JSON.stringify(other));

      // The outcome is kept in the store: it outlives the agent.
      await box.stop();
      const restarted = await startBox(t, world, dir, "site-n", [camera], {
        other: ["recorder: {enabled: false}"],
      });
      await boxConnected(restarted);
      assert.deepEqual(await replyTo("recordings.lock", lock), first);
      const log = restarted.store.repos.accessLog.list(10).reverse();
      assert.deepEqual(
        log.map((entry) => [entry.action, entry.result]),
        [
          ["cmd/recordings.lock", "ok"],
          ["cmd/recordings.lock", "repeated"],
          ["cmd/recordings.lock", "refused"],
          ["cmd/recordings.lock", "repeated"],
        ],
      );
      assert.equal(restarted.store.repos.accessLog.verify().ok, true);
    },
  );
});
