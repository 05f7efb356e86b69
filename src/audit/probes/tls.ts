import { X509Certificate } from "node:crypto";
import { connect, type DetailedPeerCertificate, type SecureVersion } from "node:tls";

export interface TlsHandshakeOptions {
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type TlsHandshake =
  | { ok: true; protocol: string; cipher: string; chain: X509Certificate[] }
  | { ok: false; reason: string; refused: boolean };

const MAX_CHAIN = 8;

function chainOf(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw && chain.length < MAX_CHAIN) {
    chain.push(new X509Certificate(current.raw));
    if (current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * One TLS handshake restricted to the given versions and suites, then hang up. The server's
 * certificate is not verified here on purpose: the audit inspects it instead of trusting it.
 */
export function tlsHandshake(
  host: string,
  port: number,
  options: TlsHandshakeOptions,
): Promise<TlsHandshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      rejectUnauthorized: false,
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: options.ciphers,
      servername: /^[\d.]+$/.test(host) ? undefined : host,
    });
    const finish = (result: TlsHandshake) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ ok: false, reason: "aborted", refused: false });
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: `no handshake within ${options.timeoutMs} ms`,
          refused: false,
        }),
      options.timeoutMs,
    );
    socket.on("secureConnect", () => {
      let chain: X509Certificate[] = [];
      try {
        chain = chainOf(socket.getPeerCertificate(true));
      } catch {
        chain = [];
      }
      finish({
        ok: true,
        protocol: socket.getProtocol() ?? "unknown",
        cipher: socket.getCipher().standardName,
        chain,
      });
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const connectionLevel = ["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"].includes(
        error.code ?? "",
      );
      finish({ ok: false, reason: error.code ?? error.message, refused: !connectionLevel });
    });
  });
}
