import { createSocket } from "node:dgram";

export type UdpAnswer =
  | { state: "answered"; reply: Buffer }
  | { state: "refused" }
  | { state: "no-answer"; reason: string };

/**
 * One datagram to one port and the first reply, if any. The socket is connected, so an ICMP
 * port-unreachable surfaces as a refusal instead of a silent timeout.
 */
export function udpExchange(
  host: string,
  port: number,
  payload: Buffer,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<UdpAnswer> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const finish = (answer: UdpAnswer) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.close();
      resolve(answer);
    };
    const onAbort = () => finish({ state: "no-answer", reason: "aborted" });
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => finish({ state: "no-answer", reason: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    socket.on("message", (reply) => finish({ state: "answered", reply: reply.subarray(0, 2048) }));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(
        error.code === "ECONNREFUSED"
          ? { state: "refused" }
          : { state: "no-answer", reason: error.code ?? error.message },
      ),
    );
    socket.connect(port, host, () => socket.send(payload));
  });
}
