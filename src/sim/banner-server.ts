import { createServer, type Server, type Socket } from "node:net";
import type { RequestJournal, SimProtocol } from "./journal.js";

/**
 * A service that greets and never lets anyone in (telnet on a weak camera): it sends its
 * banner, reads and discards what comes, and hangs up after a short idle time.
 */
export class BannerServer {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly banner: string,
    private readonly protocol: SimProtocol,
    private readonly journal: RequestJournal,
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
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
      socket.on("close", () => this.#sockets.delete(socket));
      socket.write(this.banner);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
