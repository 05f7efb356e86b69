import { connect } from "node:net";

export type PortState =
  | { state: "open"; banner: Buffer }
  | { state: "closed"; reason: string }
  | { state: "no-answer"; reason: string };

const MAX_BANNER_BYTES = 512;

/**
 * TCP connect to one port and read what the service says first, without answering it (no login,
 * no protocol negotiation). Refused means closed; silence until the timeout means filtered.
 */
export function probePort(
  host: string,
  port: number,
  options: { timeoutMs: number; bannerMs?: number; signal?: AbortSignal },
): Promise<PortState> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let banner = Buffer.alloc(0);
    let connected = false;
    const finish = (result: PortState) => {
      clearTimeout(timer);
      clearTimeout(bannerTimer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ state: "no-answer", reason: "aborted" });
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => finish({ state: "no-answer", reason: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    let bannerTimer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      connected = true;
      clearTimeout(timer);
      bannerTimer = setTimeout(
        () => finish({ state: "open", banner }),
        options.bannerMs ?? Math.min(1500, options.timeoutMs),
      );
    });
    socket.on("data", (chunk: Buffer) => {
      banner = Buffer.concat([banner, chunk]).subarray(0, MAX_BANNER_BYTES);
      if (banner.length >= MAX_BANNER_BYTES || banner.includes(0x0a))
        finish({ state: "open", banner });
    });
    socket.on("end", () => finish({ state: "open", banner }));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (connected) finish({ state: "open", banner });
      else if (error.code === "ECONNREFUSED")
        finish({ state: "closed", reason: "connection refused" });
      else finish({ state: "no-answer", reason: error.code ?? error.message });
    });
  });
}
