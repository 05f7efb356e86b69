import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import { CamgateError } from "../errors.js";
import { digestAuthorization } from "./http-digest.js";
import type { Credentials } from "./soap-client.js";

/**
 * A snapshot that could not be had: `refused`, the camera turned the credentials down (trying
 * them elsewhere on the camera would only be one more failed login); `untrusted`, the camera is
 * not the one pinned; `unusable`, anything else (no answer, a redirect, Basic only, not a JPEG).
 */
export class SnapshotError extends CamgateError {
  constructor(
    message: string,
    readonly reason: "refused" | "untrusted" | "unusable" = "unusable",
  ) {
    super(message);
  }
}

export interface SnapshotOptions {
  credentials: Credentials | undefined;
  timeoutMs: number;
  maxBytes: number;
  /** The certificate the camera was pinned to; an HTTPS snapshot from another is refused. */
  tlsFingerprint?: string | null;
  signal?: AbortSignal;
}

interface Reply {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

function get(
  url: URL,
  authorization: string | undefined,
  options: SnapshotOptions,
): Promise<Reply> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "GET",
      headers: authorization ? { authorization } : {},
      timeout: options.timeoutMs,
      signal: options.signal,
      rejectUnauthorized: false,
    });
    req.once("socket", (socket) => {
      if (url.protocol !== "https:" || !options.tlsFingerprint) return;
      socket.once("secureConnect", () => {
        const served = (socket as TLSSocket).getPeerCertificate().fingerprint256;
        if (served !== options.tlsFingerprint)
          req.destroy(
            new SnapshotError(
              `${url.host} serves another HTTPS certificate than the one pinned`,
              "untrusted",
            ),
          );
      });
    });
    req.once("timeout", () =>
      req.destroy(new SnapshotError(`${url.host} did not answer within ${options.timeoutMs} ms`)),
    );
    req.once("error", reject);
    req.once("response", (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          req.destroy(new SnapshotError(`the snapshot is larger than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.once("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
      response.once("error", reject);
    });
    req.end();
  });
}

/**
 * One JPEG from a camera's snapshot URI. The password goes out only as a Digest answer: a camera
 * that offers Basic alone is refused, and so is a redirect (it could point anywhere).
 */
export async function fetchSnapshot(uri: string, options: SnapshotOptions): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SnapshotError("the camera's snapshot URI is malformed");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new SnapshotError(`the camera's snapshot URI is ${url.protocol}, not http(s)`);
  url.username = "";
  url.password = "";
  const path = `${url.pathname}${url.search}`;
  let reply = await get(url, undefined, options);
  if (reply.status === 401 && options.credentials) {
    const { username, password } = options.credentials;
    const authorization = digestAuthorization(
      reply.headers["www-authenticate"],
      "GET",
      path,
      username,
      password,
    );
    if (!authorization)
      throw new SnapshotError(
        "the camera offers only Basic authentication for snapshots, which would send the password readable: refused (enable Digest on the camera)",
      );
    reply = await get(url, authorization, options);
  }
  if (reply.status >= 300 && reply.status < 400)
    throw new SnapshotError(
      `the camera redirects its snapshot (HTTP ${reply.status}): not followed`,
    );
  if (reply.status === 401 || reply.status === 403)
    throw new SnapshotError(`the camera refused the credentials (HTTP ${reply.status})`, "refused");
  if (reply.status !== 200) throw new SnapshotError(`the camera answered HTTP ${reply.status}`);
  if (reply.body.length < 4 || reply.body[0] !== 0xff || reply.body[1] !== 0xd8)
    throw new SnapshotError("the camera's snapshot is not a JPEG");
  return reply.body;
}
