import { randomUUID } from "node:crypto";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { soapEnvelope } from "../onvif/soap.js";
import { usernameTokenHeader } from "../onvif/wsse.js";
import {
  DEFAULT_XML_LIMITS,
  escapeXml,
  parseXml,
  type XmlElement,
  XmlError,
} from "../onvif/xml.js";
import { OnvifCallError } from "./errors.js";
import { looksLikeHtml, readFault } from "./faults.js";
import { digestAuthorization } from "./http-digest.js";

export interface Credentials {
  username: string;
  password: string;
}

export interface SoapCallOptions {
  credentials?: Credentials | undefined;
  /** A ready-made WS-Security header sent as is, with no Digest retry (the audit's token tests). */
  securityHeader?: string;
  /** Camera clock minus ours, so WS-Security timestamps look fresh to the camera. */
  clockOffsetMs?: number;
  timeoutMs: number;
  maxBytes?: number;
  signal?: AbortSignal | undefined;
  /**
   * WS-Addressing headers (To, Action, a fresh MessageID, ReplyTo anonymous): what a
   * subscription manager needs to tell which pull point a request is for; many devices refuse
   * a call to one without them.
   */
  addressing?: { to: string; action: string };
}

interface RawReply {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Aborts `req` when the call's deadline passes or `outer` aborts; `settled` undoes both. Not
 * AbortSignal.timeout/any: their timer and weak links outlive the call (a pull's deadline is
 * 15 s away), and at thirty pulls a second they cost the collector more than the call.
 */
function guard(req: ClientRequest, timeoutMs: number, outer: AbortSignal | undefined) {
  let timedOut = false;
  const abort = () => req.destroy(Object.assign(new Error("aborted"), { code: "ABORT_ERR" }));
  const timer = setTimeout(() => {
    timedOut = true;
    abort();
  }, timeoutMs);
  timer.unref();
  if (outer?.aborted) abort();
  else outer?.addEventListener("abort", abort, { once: true });
  return {
    timedOut: () => timedOut,
    settled: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", abort);
    },
  };
}

function post(
  url: URL,
  payload: string,
  headers: Record<string, string>,
  options: SoapCallOptions,
): Promise<RawReply> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  let deadline: ReturnType<typeof guard> | undefined;
  return new Promise<RawReply>((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        headers: { "Content-Type": "application/soap+xml; charset=utf-8", ...headers },
        // Cameras serve self-signed device certificates; WS-Security digest never sends the password.
        rejectUnauthorized: false,
      },
      (res) => {
        const declared = Number(res.headers["content-length"] ?? 0);
        if (declared > maxBytes) {
          res.destroy();
          reject(
            new OnvifCallError(
              "too-large",
              `${url.host} announced a ${declared}-byte response (limit ${maxBytes})`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new OnvifCallError("too-large", `${url.host} sent more than ${maxBytes} bytes`));
          } else {
            chunks.push(chunk);
          }
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    deadline = guard(req, options.timeoutMs, options.signal);
    req.on("error", (error: NodeJS.ErrnoException) => {
      // The call's own deadline names the slow device, even when a starved process wakes to
      // find the caller's deadline passed as well.
      if (deadline?.timedOut()) {
        reject(
          new OnvifCallError(
            "timeout",
            `${url.host} did not answer within ${options.timeoutMs} ms`,
            { cause: error },
          ),
        );
      } else if (error instanceof OnvifCallError) {
        reject(error);
      } else {
        reject(
          new OnvifCallError(
            "unreachable",
            `${url.host} is unreachable: ${error.code ?? error.message}`,
            { cause: error },
          ),
        );
      }
    });
    req.end(payload);
  }).finally(() => deadline?.settled());
}

/**
 * One ONVIF operation: the body is wrapped in a SOAP 1.2 envelope with a UsernameToken when
 * credentials are given; a 401 Digest challenge is answered once. The reply is untrusted: size
 * capped, parsed strictly (no DTD), and any SOAP fault becomes an OnvifCallError.
 */
export async function soapCall(
  xaddr: string,
  body: string,
  options: SoapCallOptions,
): Promise<XmlElement> {
  let url: URL;
  try {
    url = new URL(xaddr);
  } catch (error) {
    throw new OnvifCallError("unreachable", `not a usable address: ${xaddr}`, { cause: error });
  }
  const { credentials, securityHeader } = options;
  const addressing = options.addressing ? addressingHeader(options.addressing) : "";
  const header =
    (securityHeader ??
      (credentials
        ? usernameTokenHeader(credentials.username, credentials.password, options.clockOffsetMs)
        : "")) + addressing;
  let reply = await post(url, soapEnvelope(body, header), {}, options);
  if (reply.status === 401 && credentials && securityHeader === undefined) {
    const authorization = digestAuthorization(
      reply.headers["www-authenticate"],
      "POST",
      url.pathname + url.search,
      credentials.username,
      credentials.password,
    );
    if (authorization) {
      const fresh =
        usernameTokenHeader(credentials.username, credentials.password, options.clockOffsetMs) +
        addressing;
      reply = await post(url, soapEnvelope(body, fresh), { Authorization: authorization }, options);
    }
  }
  return interpret(url, reply, options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
}

const WSA = "http://www.w3.org/2005/08/addressing";

/** The WS-Addressing 1.0 headers of one request (SOAP binding, section 2). */
export function addressingHeader(addressing: { to: string; action: string }): string {
  const wsa = `xmlns:wsa5="${WSA}"`;
  return (
    `<wsa5:To ${wsa} s:mustUnderstand="1">${escapeXml(addressing.to)}</wsa5:To>` +
    `<wsa5:Action ${wsa} s:mustUnderstand="1">${escapeXml(addressing.action)}</wsa5:Action>` +
    `<wsa5:MessageID ${wsa}>urn:uuid:${randomUUID()}</wsa5:MessageID>` +
    `<wsa5:ReplyTo ${wsa}><wsa5:Address>${WSA}/anonymous</wsa5:Address></wsa5:ReplyTo>`
  );
}

function interpret(url: URL, reply: RawReply, maxBytes: number): XmlElement {
  const text = reply.body.toString("utf8");
  if (looksLikeHtml(text) || reply.body.length === 0) {
    if (reply.status === 401 || reply.status === 403) {
      throw new OnvifCallError(
        "not-authorized",
        `${url.host}: not authorized (HTTP ${reply.status})`,
        { status: reply.status },
      );
    }
    throw new OnvifCallError("http", `${url.host}: HTTP ${reply.status} without a SOAP reply`, {
      status: reply.status,
    });
  }
  let envelope: XmlElement;
  try {
    envelope = parseXml(reply.body, { ...DEFAULT_XML_LIMITS, maxBytes, lenientPrefixes: true });
  } catch (error) {
    const reason = error instanceof XmlError ? error.message : String(error);
    throw new OnvifCallError("malformed", `${url.host}: unusable reply: ${reason}`, {
      cause: error,
      status: reply.status,
    });
  }
  const fault = readFault(envelope, reply.status);
  if (fault?.notAuthorized || (reply.status === 401 && !fault)) {
    throw new OnvifCallError(
      "not-authorized",
      `${url.host}: not authorized${fault?.reason ? ` (${fault.reason})` : ""}`,
      {
        fault,
        status: reply.status,
      },
    );
  }
  if (fault) {
    const subcode = fault.subcodes.at(-1) ?? fault.code;
    throw new OnvifCallError("fault", `${url.host}: ${subcode}: ${fault.reason}`, {
      fault,
      status: reply.status,
    });
  }
  if (reply.status < 200 || reply.status >= 300) {
    throw new OnvifCallError("http", `${url.host}: HTTP ${reply.status}`, { status: reply.status });
  }
  return envelope;
}
