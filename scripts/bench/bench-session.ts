import type { AgentEvents } from "../../src/agent-events.js";
import type { UplinkConfig } from "../../src/config/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { type Logger, silentLogger } from "../../src/log/index.js";
import { UplinkSession } from "../../src/uplink/index.js";

/** The box's MQTT session as the benches use it, with a promise of its first connection. */
export function benchSession(config: UplinkConfig): {
  bus: EventBus<AgentEvents>;
  logger: Logger;
  session: UplinkSession;
  connected: Promise<void>;
} {
  const bus = new EventBus<AgentEvents>(() => undefined);
  const logger = silentLogger();
  const will = {
    topic: "camgate/v1/bench-site/status",
    payload: "{}",
    options: { qos: 1 as const },
  };
  const session = new UplinkSession({
    config,
    clientId: "camgate-bench-site",
    will,
    birth: () => will,
    bus,
    logger,
  });
  const connected = new Promise<void>((resolve) => {
    const off = bus.on("uplinkState", ({ connected: up }) => up && (off(), resolve()));
  });
  return { bus, logger, session, connected };
}
