import type { Component } from "../../src/lifecycle/index.js";

/** A component that records what happens to it, with switches for the failures to test. */
export class FakeComponent implements Component {
  constructor(
    readonly name: string,
    private readonly journal: { push(entry: string): unknown },
    private readonly behaviour: {
      failStart?: boolean;
      failStop?: boolean;
      hangOnStop?: boolean;
      stopMs?: number;
    } = {},
  ) {}

  async start(_signal: AbortSignal): Promise<void> {
    this.journal.push(`start ${this.name}`);
    if (this.behaviour.failStart) throw new Error(`${this.name} cannot start`);
  }

  async stop(): Promise<void> {
    this.journal.push(`stop ${this.name}`);
    if (this.behaviour.failStop) throw new Error(`${this.name} cannot stop`);
    if (this.behaviour.hangOnStop) await new Promise(() => undefined);
    if (this.behaviour.stopMs)
      await new Promise((resolve) => setTimeout(resolve, this.behaviour.stopMs));
  }
}
