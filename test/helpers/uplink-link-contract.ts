import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentEvents } from "../../src/agent-events.js";
import type { EventBus } from "../../src/lifecycle/index.js";
import {
  BrokerBusyError,
  type InboundMessage,
  LinkDownError,
  PublishRefusedError,
  type UplinkLink,
} from "../../src/uplink/index.js";

/** What the center side saw of one message. */
export interface SeenMessage {
  payload: Buffer;
  contentType: string | undefined;
  userProperties: Record<string, string>;
}

/**
 * One implementation of UplinkLink, up and subscribed to nothing yet, with a broker and a
 * center the suite can drive. Topics are those of the box's own site unless said otherwise.
 */
export interface LinkWorld {
  link: UplinkLink;
  bus: EventBus<AgentEvents>;
  /** A topic of the box's own tree; `suffix` is one or more levels. */
  own: (suffix: string) => string;
  /** A topic the broker refuses the box (another site's). */
  forbidden: string;
  /** The next message the center receives on `topic`. */
  received: (topic: string) => Promise<SeenMessage>;
  /** The center publishes to the box. */
  send: (topic: string, payload: string, extra?: Partial<InboundMessage>) => Promise<void>;
  /** Acknowledgements stop coming back; the connection stays open. */
  hold: () => void;
  /** The connection dies; the link comes back by itself, with its session kept or lost. */
  cut: (options: { sessionLost: boolean }) => Promise<void>;
  /** Makes the broker answer "quota exceeded" on `topic`, where the implementation can. */
  busy?: (topic: string) => void;
}

/** Resolves with the next `uplinkState` event matching `connected`. */
export function nextState(
  bus: EventBus<AgentEvents>,
  connected: boolean,
): Promise<AgentEvents["uplinkState"]> {
  return new Promise((resolve) => {
    const off = bus.on("uplinkState", (state) => {
      if (state.connected !== connected) return;
      off();
      resolve(state);
    });
  });
}

/**
 * The center sends until the box has heard: a subscription made while connected reaches the
 * broker a moment after subscribe() returns, and a message before it is, rightly, not for us.
 */
async function sendUntilHeard(
  world: LinkWorld,
  topic: string,
  payload: string,
  heard: () => boolean,
  extra?: Partial<InboundMessage>,
): Promise<void> {
  while (!heard()) {
    await world.send(topic, payload, extra);
    await sleep(100);
  }
}

/**
 * The contract every UplinkLink keeps, in the manner of MQTT.js's abstract client tests: the
 * same cases run against the real session on mosquitto and against the in-memory fake that the
 * consumers' unit tests use, so the fake cannot drift from the real thing unnoticed.
 */
export function uplinkLinkContract(
  label: string,
  makeWorld: (t: TestContext) => Promise<LinkWorld>,
): void {
  describe(`UplinkLink contract: ${label}`, () => {
    it("a publish resolves once the broker has it, with its content type and user properties", async (t) => {
      const world = await makeWorld(t);
      const topic = world.own("health");
      const seen = world.received(topic);
      await world.link.publish(topic, "{}", {
        qos: 1,
        contentType: "application/json",
        userProperties: { "msg-id": "e-1" },
      });
      const message = await seen;
      assert.equal(message.payload.toString(), "{}");
      assert.equal(message.contentType, "application/json");
      assert.equal(message.userProperties["msg-id"], "e-1");
    });

    it("a publish while the link is down fails at once with LinkDownError", async (t) => {
      const world = await makeWorld(t);
      let attempt: Promise<void> | undefined;
      const off = world.bus.on("uplinkState", ({ connected }) => {
        if (!connected) attempt ??= world.link.publish(world.own("health"), "{}", { qos: 1 });
      });
      const down = nextState(world.bus, false);
      const back = nextState(world.bus, true);
      await world.cut({ sessionLost: false });
      await down;
      off();
      assert.ok(attempt, "the link announced it went down");
      await assert.rejects(attempt, LinkDownError);
      await back;
    });

    it("a publish in flight when the connection goes fails with LinkDownError", async (t) => {
      const world = await makeWorld(t);
      world.hold();
      const inFlight = world.link.publish(world.own("health"), "{}", { qos: 1 });
      const back = nextState(world.bus, true);
      await world.cut({ sessionLost: false });
      await assert.rejects(inFlight, LinkDownError);
      await back;
      // ...and the link works again.
      const topic = world.own("events");
      const seen = world.received(topic);
      await world.link.publish(topic, "again", { qos: 1 });
      assert.equal((await seen).payload.toString(), "again");
    });

    it("a refused publish fails with PublishRefusedError and the broker's reason code", async (t) => {
      const world = await makeWorld(t);
      const error = await world.link.publish(world.forbidden, "{}", { qos: 1 }).then(
        () => assert.fail("the broker accepted a topic of another site"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof PublishRefusedError, String(error));
      assert.ok(error.reasonCode >= 0x80, `reason 0x${error.reasonCode.toString(16)}`);
      assert.equal(world.link.connected, true, "a refusal does not cost the connection");
    });

    it("a message from the center reaches its subscriber with response topic, correlation data and user properties", async (t) => {
      const world = await makeWorld(t);
      const got: InboundMessage[] = [];
      world.link.subscribe(world.own("cmd/+"), (message) => got.push(message));
      await sendUntilHeard(world, world.own("cmd/status"), '{"a":1}', () => got.length > 0, {
        responseTopic: world.own("reply/r1"),
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { signature: "c2ln" },
      });
      const message = got[0] as InboundMessage;
      assert.equal(message.topic, world.own("cmd/status"));
      assert.equal(message.payload.toString(), '{"a":1}');
      assert.equal(message.responseTopic, world.own("reply/r1"));
      assert.deepEqual([...(message.correlationData ?? [])], [1, 2, 3]);
      assert.equal(message.userProperties["signature"], "c2ln");
    });

    for (const sessionLost of [false, true]) {
      it(`subscriptions hold across a reconnect with the broker's session ${sessionLost ? "lost" : "kept"}`, async (t) => {
        const world = await makeWorld(t);
        const filter = world.own("cmd/+");
        const got: string[] = [];
        world.link.subscribe(filter, (message) => got.push(message.payload.toString()));
        const back = nextState(world.bus, true);
        await world.cut({ sessionLost });
        const state = await back;
        assert.equal(state.sessionPresent, !sessionLost);
        // A lost session holds no subscription until the box's new SUBSCRIBE is in.
        await sendUntilHeard(world, world.own("cmd/ping"), "after", () => got.length > 0);
        assert.ok(
          got.every((payload) => payload === "after"),
          got.join(),
        );
      });
    }

    it("an unsubscribed handler hears nothing more", async (t) => {
      const world = await makeWorld(t);
      const filter = world.own("cmd/+");
      const got: string[] = [];
      const off = world.link.subscribe(filter, (message) => got.push(message.payload.toString()));
      const stays: string[] = [];
      world.link.subscribe(filter, (message) => stays.push(message.payload.toString()));
      await sendUntilHeard(world, world.own("cmd/ping"), "one", () => got.length > 0);
      off();
      await sendUntilHeard(world, world.own("cmd/ping"), "two", () => stays.includes("two"));
      assert.ok(got.length > 0 && !got.includes("two"), got.join());
    });

    it("reconnect(reason) drops the connection and the link comes back", async (t) => {
      const world = await makeWorld(t);
      const down = nextState(world.bus, false);
      const back = nextState(world.bus, true);
      world.link.reconnect("the test asked");
      await down;
      await back;
      const topic = world.own("health");
      const seen = world.received(topic);
      await world.link.publish(topic, "{}", { qos: 1 });
      await seen;
    });

    it("an aborted publish rejects with the signal's reason", async (t) => {
      const world = await makeWorld(t);
      const controller = new AbortController();
      controller.abort(new Error("stopping"));
      await assert.rejects(
        world.link.publish(world.own("health"), "{}", { qos: 1 }, controller.signal),
        /stopping/,
      );
    });

    it("a busy broker fails the publish with BrokerBusyError", async (t) => {
      const world = await makeWorld(t);
      if (!world.busy) {
        t.skip("this broker cannot be made to answer 'quota exceeded' on cue");
        return;
      }
      const topic = world.own("health");
      world.busy(topic);
      const error = await world.link.publish(topic, "{}", { qos: 1 }).then(
        () => assert.fail("accepted"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof BrokerBusyError, String(error));
      assert.equal(error.reasonCode, 0x97);
    });
  });
}
