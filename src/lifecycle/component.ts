/**
 * The contract of every long-lived part of the agent (DESIGN.md section 3): the constructor only
 * assigns; start() brings the component up and resolves once it is running, watching `signal`
 * for an abort during start-up; stop() is idempotent and resolves when everything it owns ended.
 */
export interface Component {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}
