import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { closeServer, listen, trackConnections } from "../util/net.js";
import { hostPort, type SimCameraState } from "./camera-state.js";
import type { DigestAuthority } from "./digest-auth.js";
import type { RequestJournal, SimProtocol } from "./journal.js";
import type { OnvifService, OnvifServiceName } from "./onvif-service.js";
import type { CertificateMaterial } from "./tls-certs.js";

const MAX_BODY_BYTES = 64 * 1024;
const SERVICES: Record<string, OnvifServiceName> = {
  "/onvif/device_service": "device",
  "/onvif/media_service": "media",
};

export interface HttpServersOptions {
  state: SimCameraState;
  onvif: OnvifService;
  digest: DigestAuthority;
  journal: RequestJournal;
  jpeg: Buffer;
  certificate: CertificateMaterial;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", () => resolve(undefined));
  });
}

/** The camera's web side: ONVIF SOAP, the admin page and the snapshot, on HTTP 80 and HTTPS 443. */
export class HttpServers {
  readonly #servers: { server: Server; sockets: Set<Socket> }[] = [];

  constructor(private readonly options: HttpServersOptions) {}

  async start(): Promise<void> {
    const { state, certificate } = this.options;
    const legacy = state.weaknesses.legacyTls;
    const http = createHttpServer((req, res) => void this.#route(req, res, "http"));
    const https = createHttpsServer(
      {
        cert: certificate.certPem,
        key: certificate.keyPem,
        // Legacy firmware: TLS 1.0 and short keys need OpenSSL's security level 0.
        minVersion: legacy ? "TLSv1" : "TLSv1.2",
        ciphers: legacy ? "DEFAULT:@SECLEVEL=0" : undefined,
      },
      (req, res) => void this.#route(req, res, "https"),
    );
    for (const [server, port] of [
      [http, state.ports.http],
      [https, state.ports.https],
    ] as const) {
      const sockets = trackConnections(server);
      server.on("tlsClientError", () => undefined);
      await listen(server, port, state.host);
      this.#servers.push({ server, sockets });
    }
  }

  async stop(): Promise<void> {
    const servers = this.#servers.splice(0);
    await Promise.all(servers.map(({ server, sockets }) => closeServer(server, sockets)));
  }

  async #route(
    request: IncomingMessage,
    response: ServerResponse,
    protocol: SimProtocol,
  ): Promise<void> {
    const { state, onvif, journal } = this.options;
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const remote = request.socket.remoteAddress ?? "";
    response.setHeader(
      "Server",
      state.weaknesses.cleartextManagement
        ? `${state.identity.model} webs/${state.identity.firmwareVersion}`
        : "httpd",
    );
    const service = SERVICES[path];
    if (service && request.method === "POST") {
      const body = await readBody(request);
      if (!body) {
        response.writeHead(413).end();
        return;
      }
      const reply = onvif.handle(service, body, request.headers.authorization, remote);
      response.writeHead(reply.status, reply.headers).end(reply.body);
      return;
    }
    const record = (outcome: string, user: string | null, authenticated: boolean) =>
      journal.record({
        protocol,
        operation: `${request.method ?? "?"} ${path}`,
        user,
        authenticated,
        outcome,
        remote,
      });

    if (request.method !== "GET" && request.method !== "HEAD") {
      record("405", null, false);
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/onvif/snapshot.jpg") {
      const verdict = this.#authorize(request, protocol, state.weaknesses.unauthenticatedSnapshot);
      record(verdict.ok ? "200" : "401", verdict.user, verdict.ok && verdict.user !== null);
      if (!verdict.ok) return this.#challenge(response, protocol);
      response.writeHead(200, {
        "Content-Type": "image/jpeg",
        "Content-Length": this.options.jpeg.length,
      });
      response.end(request.method === "HEAD" ? undefined : this.options.jpeg);
      return;
    }
    if (path === "/" || path === "/index.html") {
      if (protocol === "http" && !state.weaknesses.cleartextManagement) {
        record("301", null, false);
        const location = `https://${hostPort(state.host, state.ports.https, 443)}/`;
        response.writeHead(301, { Location: location }).end();
        return;
      }
      const verdict = this.#authorize(request, protocol, false);
      record(verdict.ok ? "200" : "401", verdict.user, verdict.ok);
      if (!verdict.ok) return this.#challenge(response, protocol);
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      response.end(
        `<!doctype html><title>${state.identity.name}</title><h1>${state.identity.model}</h1>`,
      );
      return;
    }
    record("404", null, false);
    response.writeHead(404).end();
  }

  #usesBasic(protocol: SimProtocol): boolean {
    return this.options.state.weaknesses.basicOverCleartext && protocol === "http";
  }

  #authorize(
    request: IncomingMessage,
    protocol: SimProtocol,
    open: boolean,
  ): { ok: boolean; user: string | null } {
    if (open) return { ok: true, user: null };
    const header = request.headers.authorization;
    const verdict = this.#usesBasic(protocol)
      ? this.options.digest.verifyBasic(header)
      : this.options.digest.verifyDigest(header, request.method ?? "GET");
    return { ok: verdict.ok, user: verdict.user };
  }

  #challenge(response: ServerResponse, protocol: SimProtocol): void {
    const challenge = this.#usesBasic(protocol)
      ? this.options.digest.basicChallenge()
      : this.options.digest.challenge();
    response
      .writeHead(401, { "WWW-Authenticate": challenge, "Content-Type": "text/plain" })
      .end("Unauthorized\n");
  }
}
