import { createSocket, type Socket as UdpSocket } from "node:dgram";
import type { Server, Socket } from "node:net";

/** Starts listening; rejects with the listen error (EADDRINUSE, EACCES, ...) instead of emitting it. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Remembers a server's open connections so stop() can drop them rather than wait for clients. */
export function trackConnections(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

/** Drops every open connection, then waits for the listener to close. */
export async function closeServer(
  server: Server | undefined,
  sockets: Iterable<Socket>,
): Promise<void> {
  for (const socket of sockets) socket.destroy();
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A bound IPv4 UDP socket; rejects with the bind error instead of emitting it. */
export function bindUdp(port: number, address?: string, reuseAddr = false): Promise<UdpSocket> {
  const socket = createSocket({ type: "udp4", reuseAddr });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}
