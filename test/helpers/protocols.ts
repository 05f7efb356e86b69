import { createSocket } from "node:dgram";
import { request } from "node:http";
import { connect } from "node:net";
import { soapEnvelope, usernameTokenHeader } from "../../src/onvif/index.js";

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One SOAP 1.2 call, with a UsernameToken when credentials are given. */
export function soapCall(
  xaddr: string,
  body: string,
  credentials?: { username: string; password: string; clockOffsetMs?: number },
  rawHeader?: string,
): Promise<HttpReply> {
  const header =
    rawHeader ??
    (credentials
      ? usernameTokenHeader(credentials.username, credentials.password, credentials.clockOffsetMs)
      : "");
  return httpRequest(xaddr, {
    method: "POST",
    headers: { "Content-Type": "application/soap+xml; charset=utf-8" },
    body: soapEnvelope(body, header),
  });
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Sends one RTSP request and resolves with the status line and headers of the reply. */
export function rtspRequest(
  host: string,
  port: number,
  method: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Map<string, string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let text = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error("RTSP timeout")));
    socket.on("error", reject);
    socket.on("connect", () => {
      const lines = [
        `${method} ${url} RTSP/1.0`,
        "CSeq: 1",
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [statusLine = "", ...rest] = text.slice(0, end).split("\r\n");
      const map = new Map<string, string>();
      for (const line of rest) {
        const colon = line.indexOf(":");
        if (colon > 0)
          map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      socket.destroy();
      resolve({ status: Number(statusLine.split(" ")[1]), headers: map });
    });
  });
}

/** Sends a datagram and collects every reply until `waitMs` has passed. */
export function udpExchange(
  target: { address: string; port: number },
  message: string,
  waitMs: number,
  options: { multicastInterface?: string } = {},
): Promise<{ from: string; text: string }[]> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const replies: { from: string; text: string }[] = [];
    socket.on("message", (datagram, remote) =>
      replies.push({ from: remote.address, text: datagram.toString("utf8") }),
    );
    socket.on("error", reject);
    socket.bind(0, () => {
      if (options.multicastInterface) socket.setMulticastInterface(options.multicastInterface);
      socket.send(message, target.port, target.address);
      setTimeout(() => {
        socket.close();
        resolve(replies);
      }, waitMs);
    });
  });
}

export function connectRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.on("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}
