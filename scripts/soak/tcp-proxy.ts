import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";

/** What the link between the box and the broker does to its traffic. */
export type LinkMode =
  | { kind: "clear" }
  /** Every piece of data, both ways, held this long before it goes on. */
  | { kind: "delay"; ms: number }
  /** At most this many bytes a second, each way. */
  | { kind: "throttle"; bytesPerSecond: number }
  /** Open connections are cut and new ones refused (reset) until the mode changes. */
  | { kind: "cut" };

/**
 * A TCP relay in front of the broker that delays, throttles and cuts: the weak link of the field
 * without root or tc. TLS passes through it untouched (the box still verifies the broker).
 */
export class FaultyLink {
  #server: Server | undefined;
  #mode: LinkMode = { kind: "clear" };
  readonly #pairs = new Set<[Socket, Socket]>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly target: { host: string; port: number },
  ) {}

  get url(): string {
    return `mqtts://${this.host}:${this.port}`;
  }

  get mode(): LinkMode {
    return this.#mode;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    server.listen(0, this.host);
    await once(server, "listening");
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    this.#server = server;
  }

  setMode(mode: LinkMode): void {
    this.#mode = mode;
    if (mode.kind === "cut") for (const pair of this.#pairs) pair.forEach((s) => s.destroy());
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const pair of this.#pairs) pair.forEach((s) => s.destroy());
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#mode.kind === "cut") {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.on("error", close).on("close", close);
    this.#relay(client, upstream);
    this.#relay(upstream, client);
  }

  /** Copies one direction, applying the mode to each piece as it arrives, in order. */
  #relay(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on("data", (data: Buffer) => {
      from.pause();
      chain = chain
        .then(() => this.#hold(data.length))
        .then(() => {
          if (!to.destroyed && to.write(data)) from.resume();
          else if (!to.destroyed) to.once("drain", () => from.resume());
        });
    });
  }

  async #hold(bytes: number): Promise<void> {
    const mode = this.#mode;
    const ms =
      mode.kind === "delay"
        ? mode.ms
        : mode.kind === "throttle"
          ? (bytes * 1000) / mode.bytesPerSecond
          : 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
