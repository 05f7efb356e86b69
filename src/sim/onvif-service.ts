import { timingSafeEqual } from "node:crypto";
import { NS, WSSE_PASSWORD_DIGEST, WSSE_PASSWORD_TEXT } from "../onvif/namespaces.js";
import { soapEnvelope, soapFault } from "../onvif/soap.js";
import { passwordDigest } from "../onvif/wsse.js";
import { attr, child, descend, parseXml, textOf, type XmlElement } from "../onvif/xml.js";
import { cameraNow, type SimCameraState } from "./camera-state.js";
import type { DigestAuthority } from "./digest-auth.js";
import type { SimEventService } from "./event-service.js";
import type { RequestJournal } from "./journal.js";
import type { LoginLockout } from "./lockout.js";
import {
  DEVICE_OPERATIONS,
  MEDIA_OPERATIONS,
  PRE_AUTH_OPERATIONS,
  WEAK_OPEN_OPERATIONS,
} from "./onvif-responses.js";

const MAX_REQUEST_BYTES = 64 * 1024;
const FRESHNESS_MS = 5 * 60_000;
const MAX_SEEN_NONCES = 2048;

export interface SoapReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type OnvifServiceName = "device" | "media" | "events";

/** Where an event-service request goes: the service itself or one of its subscriptions. */
export interface EventRequest {
  subscriptionId: string | undefined;
  /** Aborted when the caller goes away (a long poll stops waiting). */
  signal: AbortSignal;
}

type WsseVerdict =
  { present: false } | { present: true; ok: boolean; user: string | null; reason?: string };

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The SOAP side of a simulated camera: authentication, dispatch, faults, journal. */
export class OnvifService {
  readonly #seenNonces = new Set<string>();

  constructor(
    private readonly state: SimCameraState,
    private readonly digest: DigestAuthority,
    private readonly journal: RequestJournal,
    private readonly lockout: LoginLockout,
    private readonly events?: SimEventService,
  ) {}

  async handle(
    service: OnvifServiceName,
    body: Buffer,
    authorization: string | undefined,
    remote: string,
    eventRequest?: EventRequest,
  ): Promise<SoapReply> {
    let envelope: XmlElement;
    try {
      if (body.length > MAX_REQUEST_BYTES) throw new Error("request too large");
      envelope = parseXml(body, { maxBytes: MAX_REQUEST_BYTES, maxDepth: 32, maxElements: 2000 });
    } catch {
      this.journal.record({
        protocol: "onvif",
        operation: "(malformed)",
        user: null,
        authenticated: false,
        outcome: "400",
        remote,
      });
      return this.#fault(400, "Sender", ["WellFormed"], "The request is not well-formed SOAP");
    }
    const operationElement = child(envelope, NS.soap12, "Body")?.children[0];
    const operation = operationElement?.local ?? "(none)";
    const table = service === "device" ? DEVICE_OPERATIONS : MEDIA_OPERATIONS;
    const serviceNs = service === "device" ? NS.tds : NS.trt;
    const wsse = this.#verifyWsse(envelope);
    const http = authorization ? this.digest.verifyDigest(authorization, "POST") : undefined;
    const user = (wsse.present ? wsse.user : null) ?? http?.user ?? null;
    const open =
      PRE_AUTH_OPERATIONS.has(operation) ||
      (this.state.weaknesses.unauthenticatedOnvif && WEAK_OPEN_OPERATIONS.has(operation)) ||
      (this.state.weaknesses.openSystemLog && operation === "GetSystemLog");
    const verified = (wsse.present && wsse.ok) || http?.ok === true;
    // A login is judged where it is needed: an open operation ignores what the caller sent.
    const authenticated = open
      ? verified
      : this.lockout.judge(verified, wsse.present || authorization !== undefined);
    const record = (outcome: string) =>
      this.journal.record({ protocol: "onvif", operation, user, authenticated, outcome, remote });
    if (!open && !authenticated) {
      record("NotAuthorized");
      if (!wsse.present && !authorization) {
        return this.#fault(401, "Sender", ["NotAuthorized"], "Sender not authorized", {
          "WWW-Authenticate": this.digest.challenge(),
        });
      }
      return this.#fault(400, "Sender", ["NotAuthorized"], "Sender not authorized");
    }

    if (service === "events") {
      if (!this.events || !operationElement || !eventRequest) {
        record("ActionNotSupported");
        return this.#fault(400, "Receiver", ["ActionNotSupported"], "no event service");
      }
      const reply = await this.events.handle(
        operationElement,
        eventRequest.subscriptionId,
        eventRequest.signal,
        child(envelope, NS.soap12, "Header"),
      );
      record(String(reply.status));
      return {
        status: reply.status,
        headers: { "Content-Type": "application/soap+xml; charset=utf-8" },
        body: reply.body,
      };
    }
    const supported = operation !== "GetSnapshotUri" || this.state.snapshots;
    const build = operationElement?.ns === serviceNs && supported ? table[operation] : undefined;
    if (!build) {
      record("ActionNotSupported");
      return this.#fault(400, "Receiver", ["ActionNotSupported"], `${operation} is not supported`);
    }
    const profileToken = textOf(child(operationElement, serviceNs, "ProfileToken"));
    const response = build(this.state, { profileToken });
    if (response === "") {
      record("NoProfile");
      return this.#fault(
        400,
        "Sender",
        ["InvalidArgVal", "NoProfile"],
        "The requested profile does not exist",
      );
    }
    record("200");
    return {
      status: 200,
      headers: { "Content-Type": "application/soap+xml; charset=utf-8" },
      body: soapEnvelope(response),
    };
  }

  #verifyWsse(envelope: XmlElement): WsseVerdict {
    const token = descend(
      envelope,
      [NS.soap12, "Header"],
      [NS.wsse, "Security"],
      [NS.wsse, "UsernameToken"],
    );
    if (!token) return { present: false };
    const user = textOf(child(token, NS.wsse, "Username")) ?? null;
    const passwordElement = child(token, NS.wsse, "Password");
    const password = passwordElement?.text.trim() ?? "";
    const type = attr(passwordElement, "Type") ?? WSSE_PASSWORD_TEXT;
    const nonce = textOf(child(token, NS.wsse, "Nonce"));
    const created = textOf(child(token, NS.wsu, "Created"));
    const lax = this.state.weaknesses.staleWsseAccepted;
    const fail = (reason: string): WsseVerdict => ({ present: true, ok: false, user, reason });
    const known = this.state.users.find((candidate) => candidate.username === user);
    if (!known) return fail("unknown user");

    if (type === WSSE_PASSWORD_TEXT) {
      if (!lax) return fail("PasswordText refused");
      return equalText(password, known.password)
        ? { present: true, ok: true, user }
        : fail("wrong password");
    }
    if (type !== WSSE_PASSWORD_DIGEST) return fail("unknown password type");
    if (!lax) {
      if (!nonce || !created) return fail("nonce and created are required");
      const age = Math.abs(cameraNow(this.state).getTime() - Date.parse(created));
      if (!Number.isFinite(age) || age > FRESHNESS_MS) return fail("token is not fresh");
      if (this.#seenNonces.has(nonce)) return fail("nonce replayed");
    }
    const expected = passwordDigest(
      Buffer.from(nonce ?? "", "base64"),
      created ?? "",
      known.password,
    );
    if (!equalText(expected, password)) return fail("wrong password");
    if (nonce && !lax) {
      this.#seenNonces.add(nonce);
      if (this.#seenNonces.size > MAX_SEEN_NONCES) {
        const oldest = this.#seenNonces.values().next().value;
        if (oldest !== undefined) this.#seenNonces.delete(oldest);
      }
    }
    return { present: true, ok: true, user };
  }

  #fault(
    status: number,
    code: "Sender" | "Receiver",
    subcodes: string[],
    reason: string,
    headers: Record<string, string> = {},
  ): SoapReply {
    return {
      status,
      headers: { "Content-Type": "application/soap+xml; charset=utf-8", ...headers },
      body: soapFault({ code, subcodes, reason }),
    };
  }
}
