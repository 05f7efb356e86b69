import { createServer, type Server, type Socket } from "node:net";
import { closeServer, listen, trackConnections } from "../util/net.js";
import type { RequestJournal, SimProtocol } from "./journal.js";

/**
 * A service that greets and never lets anyone in (telnet on a weak camera): it sends its
 * banner, reads and discards what comes, and hangs up after a short idle time.
 */
export class BannerServer {
  #server: Server | undefined;
  #sockets: Set<Socket> = new Set();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly banner: string,
    private readonly protocol: SimProtocol,
    private readonly journal: RequestJournal,
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.journal.record({
        protocol: this.protocol,
        operation: "connect",
        user: null,
        authenticated: false,
        outcome: "banner",
        remote: socket.remoteAddress ?? "",
      });
      socket.setTimeout(10_000, () => socket.destroy());
      socket.on("data", () => undefined);
      socket.on("error", () => socket.destroy());
      socket.write(this.banner);
    });
    this.#sockets = trackConnections(server);
    await listen(server, this.port, this.host);
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await closeServer(server, this.#sockets);
  }
}
