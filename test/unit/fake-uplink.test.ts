import { setImmediate as tick } from "node:timers/promises";
import type { AgentEvents } from "../../src/agent-events.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { FakeUplink } from "../helpers/fake-uplink.js";
import { type SeenMessage, uplinkLinkContract } from "../helpers/uplink-link-contract.js";

uplinkLinkContract("the in-memory fake", async () => {
  const bus = new EventBus<AgentEvents>(() => undefined);
  const link = new FakeUplink(bus);
  link.answer((topic) => topic.startsWith("camgate/v1/site-b/"), 0x87);
  link.up();
  let read = 0;
  return {
    link,
    bus,
    own: (suffix) => `camgate/v1/site-a/${suffix}`,
    forbidden: "camgate/v1/site-b/status",
    received: async (topic): Promise<SeenMessage> => {
      for (;;) {
        const message = link.published.slice(read).find((candidate) => candidate.topic === topic);
        if (message) {
          read = link.published.indexOf(message) + 1;
          return {
            payload: message.payload,
            contentType: message.options.contentType,
            userProperties: message.options.userProperties ?? {},
          };
        }
        await tick();
      }
    },
    send: async (topic, payload, extra) => {
      link.deliver(topic, payload, extra);
    },
    hold: () => {
      link.autoAck = false;
    },
    cut: async ({ sessionLost }) => {
      link.down();
      link.autoAck = true;
      setImmediate(() => link.up({ sessionPresent: !sessionLost }));
    },
    busy: (topic) => link.answer((candidate) => candidate === topic, 0x97),
  };
});
