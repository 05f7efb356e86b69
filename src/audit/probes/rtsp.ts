import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface RtspReply {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

const MAX_REPLY_BYTES = 64 * 1024;

export class RtspProbeError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * A stream URI from a camera, made safe to use: only rtsp/rtsps, no user-info, no characters
 * that could end a request line, and pointed at the camera we are auditing whatever host it names.
 */
export function safeRtspUri(uri: string, cameraHost: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== "rtsp:" && url.protocol !== "rtsps:") return undefined;
  if (/[\s\r\n]/.test(uri) || uri.length > 2048) return undefined;
  url.username = "";
  url.password = "";
  url.hostname = cameraHost;
  return url;
}

/**
 * An RTSP reply from the bytes received so far (latin1): undefined while incomplete, an
 * RtspProbeError when it is not RTSP. The caller bounds what it accumulates.
 */
export function parseRtspReply(text: string): RtspReply | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const match = /^RTSP\/1\.\d\s+(\d{3})/.exec(statusLine);
  if (!match)
    throw new RtspProbeError(`not an RTSP reply: ${statusLine.slice(0, 80)}`, "malformed");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  const body = text.slice(end + 4);
  if (Number.isFinite(length) && Buffer.byteLength(body) < Math.min(length, MAX_REPLY_BYTES))
    return undefined;
  return { status: Number(match[1]), statusLine, headers, body };
}

/** One RTSP request on a fresh connection (TLS for rtsps://), and its reply. */
export function rtspRequest(
  url: URL,
  method: "OPTIONS" | "DESCRIBE",
  options: { authorization?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<RtspReply> {
  const secure = url.protocol === "rtsps:";
  const port = Number(url.port || (secure ? 322 : 554));
  return new Promise((resolve, reject) => {
    const socket: Socket = secure
      ? tlsConnect({ host: url.hostname, port, rejectUnauthorized: false })
      : netConnect({ host: url.hostname, port });
    let received = "";
    const finish = (error: RtspProbeError | undefined, reply?: RtspReply) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else if (reply) resolve(reply);
    };
    const onAbort = () => finish(new RtspProbeError("aborted", "aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => finish(new RtspProbeError(`no RTSP reply within ${options.timeoutMs} ms`, "timeout")),
      options.timeoutMs,
    );
    socket.on(secure ? "secureConnect" : "connect", () => {
      const lines = [
        `${method} ${url.href} RTSP/1.0`,
        "CSeq: 1",
        "User-Agent: camgate-audit",
        ...(method === "DESCRIBE" ? ["Accept: application/sdp"] : []),
        ...(options.authorization ? [`Authorization: ${options.authorization}`] : []),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.length > MAX_REPLY_BYTES) {
        finish(new RtspProbeError("RTSP reply too large", "too-large"));
        return;
      }
      try {
        const reply = parseRtspReply(received);
        if (reply) finish(undefined, reply);
      } catch (error) {
        finish(error as RtspProbeError);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(new RtspProbeError(error.code ?? error.message, error.code ?? "error")),
    );
    socket.on("close", () =>
      finish(new RtspProbeError("connection closed before a reply", "closed")),
    );
  });
}
