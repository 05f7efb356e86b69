import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpProbeReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most maxBytes of the body; the rest is discarded unread. */
  body: Buffer;
  truncated: boolean;
}

export interface HttpProbeOptions {
  method?: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

export class HttpProbeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * One HTTP(S) request to a camera, no connection reuse, body capped. Certificates are not
 * verified: the audit looks at them separately, and a camera's own certificate is rarely trusted.
 */
export function httpProbe(url: string, options: HttpProbeOptions): Promise<HttpProbeReply> {
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? "GET",
        headers: { "User-Agent": "camgate-audit", ...options.headers },
        agent: false,
        rejectUnauthorized: false,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
          });
        res.on("data", (chunk: Buffer) => {
          if (size + chunk.length > maxBytes) {
            chunks.push(chunk.subarray(0, maxBytes - size));
            size = maxBytes;
            truncated = true;
            res.destroy();
            done();
            return;
          }
          size += chunk.length;
          chunks.push(chunk);
        });
        res.on("end", done);
        res.on("error", () => done());
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted && options.signal?.aborted !== true;
      reject(
        new HttpProbeError(
          timedOut ? `no answer within ${options.timeoutMs} ms` : `${error.code ?? error.message}`,
          timedOut ? "timeout" : (error.code ?? "error"),
          { cause: error },
        ),
      );
    });
    req.end(options.body);
  });
}

/** The WWW-Authenticate challenges of a reply, as a list. */
export function challengesOf(headers: IncomingHttpHeaders): string[] {
  const value: string | string[] | undefined = headers["www-authenticate"];
  if (value === undefined) return [];
  const list: string[] = typeof value === "string" ? [value] : value;
  // Node joins repeated WWW-Authenticate headers with ", "; split before each scheme name.
  return list.flatMap((item) => item.split(/,\s*(?=(?:Basic|Digest|Bearer|Negotiate|NTLM)\b)/i));
}
