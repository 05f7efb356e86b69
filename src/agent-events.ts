/**
 * Everything that crosses the agent's event bus, by name. Each capability adds the events it
 * emits here, so a listener's payload type is checked against the emitter's.
 */
export interface AgentEvents {
  componentStarted: { name: string };
  componentStopped: { name: string };
}
