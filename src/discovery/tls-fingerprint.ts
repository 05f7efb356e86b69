import { connect } from "node:tls";

/**
 * SHA-256 of the certificate a device serves on `port` (colon-separated hex, as Node prints it),
 * or undefined when nothing there speaks TLS. Nothing is sent but a ClientHello: the certificate
 * is read, not trusted, and pins an approved camera beside its serial and MAC.
 */
export function tlsFingerprint(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: "" });
    const done = (fingerprint: string | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      socket.destroy();
      resolve(fingerprint);
    };
    const abort = () => done(undefined);
    const timer = setTimeout(abort, timeoutMs);
    signal?.addEventListener("abort", abort, { once: true });
    socket.once("secureConnect", () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      done(typeof fingerprint === "string" && fingerprint.length > 0 ? fingerprint : undefined);
    });
    socket.once("error", () => done(undefined));
  });
}
