import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { SecureVersion } from "node:tls";
import { closeServer, listen, trackConnections } from "../util/net.js";
import { hostPort, type SimCameraState } from "./camera-state.js";
import type { DigestAuthority } from "./digest-auth.js";
import type { RequestJournal, SimProtocol } from "./journal.js";
import type { LoginLockout } from "./lockout.js";
import type { OnvifService, OnvifServiceName } from "./onvif-service.js";
import type { CertificateMaterial } from "./tls-certs.js";

const MAX_BODY_BYTES = 64 * 1024;
/** base64("admin:11"): the magic parameter of CVE-2017-7921. */
const HIKVISION_BYPASS_TOKEN = "YWRtaW46MTEK";

/**
 * The HTTPS policy a camera's firmware ships: modern by default (TLS 1.2+, ECDHE with AEAD),
 * older versions and suites only where a weakness says so. OpenSSL 3 needs security level 0
 * for TLS 1.0/1.1, 1024-bit keys, SHA-1 certificates and 3DES.
 */
function tlsPolicy(state: SimCameraState): { minVersion: SecureVersion; ciphers: string } {
  const { legacyTls, weakCiphers, weakCertificate } = state.weaknesses;
  const suites = ["ECDHE+AESGCM", "ECDHE+CHACHA20"];
  if (legacyTls) suites.push("ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA");
  if (weakCiphers) suites.push("AES128-SHA", "AES256-SHA", "DES-CBC3-SHA");
  if (legacyTls || weakCiphers || weakCertificate) suites.push("@SECLEVEL=0");
  return { minVersion: legacyTls ? "TLSv1" : "TLSv1.2", ciphers: suites.join(":") };
}
const SERVICES: Record<string, OnvifServiceName> = {
  "/onvif/device_service": "device",
  "/onvif/media_service": "media",
  "/onvif/event_service": "events",
};

export interface HttpServersOptions {
  state: SimCameraState;
  onvif: OnvifService;
  digest: DigestAuthority;
  lockout: LoginLockout;
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
    const http = createHttpServer((req, res) => void this.#route(req, res, "http"));
    const https = createHttpsServer(
      { cert: certificate.certPem, key: certificate.keyPem, ...tlsPolicy(state) },
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
      state.weaknesses.preauthDisclosure
        ? `${state.identity.model} webs/${state.identity.firmwareVersion}`
        : "httpd",
    );
    if (path === "/RPC2_Login" || path === "/RPC2") {
      await this.#dahuaRpc(request, response, path, protocol);
      return;
    }
    const subscription = /^\/onvif\/event_service\/subscription\/([0-9a-f]{1,32})$/.exec(path);
    const service = subscription ? "events" : SERVICES[path];
    if (service && request.method === "POST") {
      const body = await readBody(request);
      if (!body) {
        response.writeHead(413).end();
        return;
      }
      // A long poll stops waiting when the client goes away.
      const gone = new AbortController();
      response.on("close", () => gone.abort());
      const reply = await onvif.handle(service, body, request.headers.authorization, remote, {
        subscriptionId: subscription?.[1],
        signal: gone.signal,
      });
      if (!response.destroyed) response.writeHead(reply.status, reply.headers).end(reply.body);
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
    if (path === "/onvif/snapshot.jpg" && state.snapshots) {
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
    if (path.toLowerCase() === "/system/deviceinfo") {
      const bypass =
        state.weaknesses.hikvisionAuthBypass &&
        new URLSearchParams((request.url ?? "").split("?")[1] ?? "").get("auth") ===
          HIKVISION_BYPASS_TOKEN;
      const verdict = this.#authorize(request, protocol, bypass);
      record(verdict.ok ? "200" : "401", verdict.user, verdict.ok && verdict.user !== null);
      if (!verdict.ok) return this.#challenge(response, protocol);
      const { identity } = state;
      response.writeHead(200, { "Content-Type": "application/xml" });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><DeviceInfo version="1.0" xmlns="http://www.hikvision.com/ver10/XMLSchema">` +
          `<deviceName>${identity.name}</deviceName><model>${identity.model}</model>` +
          `<serialNumber>${identity.serialNumber}</serialNumber><firmwareVersion>${identity.firmwareVersion}</firmwareVersion></DeviceInfo>`,
      );
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

  /**
   * Dahua's JSON-RPC login, only on a camera with the CVE-2021-33044 weakness: the NetKeyboard
   * client type is let in without a password. Anything else is a failed login.
   */
  async #dahuaRpc(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    protocol: SimProtocol,
  ): Promise<void> {
    const { journal, state } = this.options;
    const body = request.method === "POST" ? await readBody(request) : undefined;
    let call: { method?: unknown; params?: { clientType?: unknown; userName?: unknown } };
    try {
      call = JSON.parse(body?.toString("utf8") ?? "") as typeof call;
    } catch {
      call = {};
    }
    const method = typeof call.method === "string" ? call.method : "?";
    const record = (outcome: string) =>
      journal.record({
        protocol,
        operation: `POST ${path} ${method}`,
        user: typeof call.params?.userName === "string" ? call.params.userName : null,
        authenticated: outcome === "session",
        outcome,
        remote: request.socket.remoteAddress ?? "",
      });
    if (!state.weaknesses.dahuaAuthBypass || !body) {
      record("404");
      response.writeHead(404).end();
      return;
    }
    let reply: Record<string, unknown>;
    if (method === "global.logout") {
      record("logout");
      reply = { result: true };
    } else if (method === "global.login" && call.params?.clientType === "NetKeyboard") {
      record("session");
      reply = { result: true, session: randomBytes(8).toString("hex"), params: null };
    } else {
      record("challenge");
      reply = {
        result: false,
        error: { code: 268632079, message: "Component error: login challenge!" },
        params: { encryption: "Default", random: randomBytes(8).toString("hex"), realm: "Login" },
        session: randomBytes(8).toString("hex"),
      };
    }
    response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(reply));
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
    return { ok: this.options.lockout.judge(verdict.ok, header !== undefined), user: verdict.user };
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
