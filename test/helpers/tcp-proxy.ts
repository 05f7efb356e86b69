import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { type CleanupScope, defer } from "./temp.js";

/**
 * A loopback TCP relay between a client and a server (TLS passes through untouched), for links
 * that fail on cue: hold() stops carrying the server's bytes to the client (acknowledgements
 * never arrive), cut() destroys every connection at once, as a dead link would.
 */
export class TcpProxy {
  readonly #pairs = new Set<{ client: Socket; server: Socket }>();
  #holding = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(
    t: CleanupScope,
    target: { host: string; port: number },
    host = "127.0.0.1",
  ): Promise<TcpProxy> {
    const accepting: { proxy?: TcpProxy } = {};
    const server = createServer((client) => accepting.proxy?.accept(client, target));
    server.listen(0, host);
    await once(server, "listening");
    const address = server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy did not listen");
    const proxy = new TcpProxy(server, address.port);
    accepting.proxy = proxy;
    defer(t, () => proxy.close());
    return proxy;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  accept(client: Socket, target: { host: string; port: number }): void {
    const server = connect(target.port, target.host);
    const pair = { client, server };
    this.#pairs.add(pair);
    client.on("data", (data) => server.write(data));
    server.on("data", (data) => {
      if (!this.#holding) client.write(data);
    });
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  }

  /** From now on the server's bytes are dropped on the floor. */
  hold(): void {
    this.#holding = true;
  }

  /** Every connection dies; new ones are carried normally again. */
  cut(): void {
    this.#holding = false;
    for (const { client, server } of [...this.#pairs]) {
      client.destroy();
      server.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    const closed = once(this.server, "close");
    this.server.close();
    await closed;
  }
}
