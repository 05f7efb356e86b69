import { randomUUID } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { CleanupScope } from "./temp.js";
import { defer } from "./temp.js";

/**
 * A device on the camera LAN that wants the box's passwords, written here from the ONVIF and
 * WS-Discovery specifications alone (nothing of camgate's simulator or parser): it answers
 * WS-Discovery on UDP 3702, ONVIF on HTTP with whatever identity it is told to claim, and RTSP
 * with a Basic-only challenge (or a redirect). Everything it receives is kept, raw, so a test can
 * say exactly what the box gave away.
 */
export interface HostileDeviceOptions {
  address: string;
  /** The URN it claims; "random": a new random URN for each probe. */
  urn: string;
  mac?: string;
  serial?: string;
  httpPort?: number;
  rtspPort?: number;
  /** WS-Discovery only: no ONVIF, no RTSP (a flood of phantom devices). */
  discoveryOnly?: boolean;
  /** The RTSP server redirects every request here instead of challenging. */
  rtspRedirectTo?: string;
  /** Serve TLS on this port with this certificate (PEM), as a camera's HTTPS would. */
  https?: { port: number; cert: string; key: string };
  /** ONVIF answers wait for this (a device that takes its time, for as long as a test wants). */
  answerAfter?: Promise<unknown>;
}

export interface HostileDevice {
  readonly address: string;
  readonly urn: string;
  /** Every HTTP request (head and body) and every RTSP byte it received, as text. */
  received(): string;
  /** RTSP connections it accepted. */
  rtspConnections(): number;
  stop(): Promise<void>;
}

const SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope";
const TDS = "http://www.onvif.org/ver10/device/wsdl";
const TRT = "http://www.onvif.org/ver10/media/wsdl";
const TT = "http://www.onvif.org/ver10/schema";

function envelope(body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${SOAP_ENV}" ` +
    `xmlns:tds="${TDS}" xmlns:trt="${TRT}" xmlns:tt="${TT}"><env:Body>${body}</env:Body></env:Envelope>`
  );
}

function soapReply(
  request: string,
  options: Required<Pick<HostileDeviceOptions, "mac" | "serial">> & {
    xaddr: string;
    rtsp: string;
    urn: string;
  },
): string {
  const now = new Date();
  const action =
    /<(?:\w+:)?(Get\w+|\w+)[\s/>]/.exec(request.slice(request.search(/Body/)))?.[1] ?? "";
  switch (action) {
    case "GetSystemDateAndTime":
      return envelope(
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>` +
          `<tt:UTCDateTime><tt:Time><tt:Hour>${now.getUTCHours()}</tt:Hour><tt:Minute>${now.getUTCMinutes()}</tt:Minute>` +
          `<tt:Second>${now.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${now.getUTCFullYear()}</tt:Year>` +
          `<tt:Month>${now.getUTCMonth() + 1}</tt:Month><tt:Day>${now.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
          `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
      );
    case "GetServices":
      return envelope(
        `<tds:GetServicesResponse><tds:Service><tds:Namespace>${TDS}</tds:Namespace><tds:XAddr>${options.xaddr}</tds:XAddr>` +
          `<tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version></tds:Service>` +
          `<tds:Service><tds:Namespace>${TRT}</tds:Namespace><tds:XAddr>${options.xaddr}</tds:XAddr>` +
          `<tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version></tds:Service></tds:GetServicesResponse>`,
      );
    case "GetDeviceInformation":
      return envelope(
        `<tds:GetDeviceInformationResponse><tds:Manufacturer>Rogue</tds:Manufacturer><tds:Model>R-1</tds:Model>` +
          `<tds:FirmwareVersion>1.0</tds:FirmwareVersion><tds:SerialNumber>${options.serial}</tds:SerialNumber>` +
          `<tds:HardwareId>R1</tds:HardwareId></tds:GetDeviceInformationResponse>`,
      );
    case "GetNetworkInterfaces":
      return envelope(
        `<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>` +
          `<tt:Info><tt:HwAddress>${options.mac}</tt:HwAddress></tt:Info></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>`,
      );
    case "GetProfiles":
      return envelope(
        `<trt:GetProfilesResponse><trt:Profiles token="main"><tt:Name>main</tt:Name><tt:VideoEncoderConfiguration token="v">` +
          `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution>` +
          `</tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse>`,
      );
    case "GetStreamUri":
      return envelope(
        `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${options.rtsp}</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`,
      );
    default:
      return envelope(
        `<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">not supported</env:Text></env:Reason></env:Fault>`,
      );
  }
}

function probeMatches(relatesTo: string, urn: string, xaddr: string, mac: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${SOAP_ENV}" ` +
    `xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
    `xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">` +
    `<s:Header><a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${relatesTo}</a:RelatesTo>` +
    `<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>` +
    `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${urn}</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types>` +
    `<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Rogue onvif://www.onvif.org/MAC/${mac}</d:Scopes>` +
    `<d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}

function listen(server: HttpServer | TcpServer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
}

export async function startHostileDevice(
  t: CleanupScope,
  options: HostileDeviceOptions,
): Promise<HostileDevice> {
  const { address } = options;
  const httpPort = options.httpPort ?? 8080;
  const rtspPort = options.rtspPort ?? 8554;
  const mac = options.mac ?? "02:de:ad:be:ef:01";
  const serial = options.serial ?? "ROGUE0001";
  const fixedUrn = options.urn === "random" ? `urn:uuid:${randomUUID()}` : options.urn;
  const xaddr = `http://${address}:${httpPort}/onvif/device_service`;
  const rtsp = `rtsp://${address}:${rtspPort}/live`;
  const log: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();

  const udp: UdpSocket = createSocket({ type: "udp4", reuseAddr: false });
  udp.on("message", (datagram, peer) => {
    const messageId = /MessageID[^>]*>([^<]{1,200})</.exec(datagram.toString("utf8"))?.[1];
    if (!messageId) return;
    const urn = options.urn === "random" ? `urn:uuid:${randomUUID()}` : fixedUrn;
    udp.send(probeMatches(messageId, urn, xaddr, mac), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(3702, address, () => resolve());
  });

  const servers: (HttpServer | TcpServer)[] = [];
  if (!options.discoveryOnly) {
    const http = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        log.push(
          `${request.method ?? ""} ${request.url ?? ""}\n${JSON.stringify(request.headers)}\n${body}`,
        );
        void Promise.resolve(options.answerAfter).then(() => {
          response.writeHead(200, { "content-type": "application/soap+xml; charset=utf-8" });
          response.end(soapReply(body, { mac, serial, xaddr, rtsp, urn: fixedUrn }));
        });
      });
    });
    await listen(http, httpPort, address);
    servers.push(http);

    const rtspServer = createTcpServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      let pending = "";
      socket.on("data", (chunk: Buffer) => {
        const text = chunk.toString("latin1");
        log.push(text);
        pending += text;
        for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          const cseq = /CSeq:\s*(\d+)/i.exec(head)?.[1] ?? "1";
          const reply = options.rtspRedirectTo
            ? `RTSP/1.0 302 Moved\r\nCSeq: ${cseq}\r\nLocation: ${options.rtspRedirectTo}\r\n\r\n`
            : head.startsWith("OPTIONS")
              ? `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n`
              : `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="camera"\r\n\r\n`;
          socket.write(reply);
        }
      });
      socket.on("error", () => undefined);
    });
    await listen(rtspServer, rtspPort, address);
    servers.push(rtspServer);
  }
  if (options.https) {
    const tls = createTlsServer({ cert: options.https.cert, key: options.https.key }, (socket) => {
      socket.on("data", (chunk: Buffer) => log.push(chunk.toString("latin1")));
      socket.on("error", () => undefined);
      socket.end();
    });
    tls.on("tlsClientError", () => undefined);
    await listen(tls, options.https.port, address);
    servers.push(tls);
  }

  let stopped = false;
  const device: HostileDevice = {
    address,
    urn: fixedUrn,
    received: () => log.join("\n"),
    rtspConnections: () => connections,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      udp.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
  defer(t, () => device.stop());
  return device;
}

/** What a captured conversation would show if the box gave away a credential. */
export function credentialTraces(
  received: string,
  credentials: { username: string; password: string },
): string[] {
  const traces: string[] = [];
  if (/authorization/i.test(received)) traces.push("an Authorization header");
  if (/UsernameToken/.test(received)) traces.push("a WS-Security UsernameToken");
  if (received.includes(credentials.password)) traces.push("the password in clear");
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  if (received.includes(basic)) traces.push("username and password in base64 (Basic)");
  return traces;
}
