import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFile, unlink } from "node:fs/promises";
import type { AgentEvents } from "../agent-events.js";
import { CamgateError } from "../errors.js";
import type { EventLog } from "../events/index.js";
import type { Component, EventBus } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import {
  createCsrPem,
  generateKeyLike,
  keyTypeOf,
  summarize,
  verifyBoxCertificate,
} from "../pki/index.js";
import {
  CONTENT_TYPE,
  type CertificateRequest,
  certificateIssuedSchema,
  MAX_CERTIFICATE_MESSAGE_BYTES,
  type SiteTopics,
} from "../protocol/index.js";
import type { InboundMessage, UplinkLink } from "../uplink/link.js";
import type { IdentityFiles } from "./identity-files.js";

export class RenewalError extends CamgateError {}

export type RenewalReason = CertificateRequest["reason"];

/** Where a renewal is; `last` is the outcome of the one before. */
export type RenewalStatus = {
  state: "idle" | "requested" | "confirming";
  requestId: string | null;
  reason: RenewalReason | null;
  since: string | null;
  last: {
    ok: boolean;
    at: string;
    serialNumber?: string;
    notAfter?: string;
    error?: string;
  } | null;
};

/** The points of a renewal a test may kill the box at (`TEST_CAMGATE_CRASH_AT`). */
export type CrashPoint = "key-generated" | "csr-sent" | "cert-received" | "mid-swap";

export interface RenewalDeps {
  files: IdentityFiles;
  /** The CA file (`uplink.ca`) the new certificate must chain to, as `cert install` checks. */
  caFile: string;
  topics: SiteTopics;
  session: Pick<UplinkLink, "subscribe" | "publish" | "connected"> & {
    readonly connectedCertificate: string | undefined;
    renewIdentity(reason: string): Promise<void>;
  };
  bus: EventBus<AgentEvents>;
  events: Pick<EventLog, "record">;
  /** Renew when the certificate ends within this long (`pki.renewBefore`). */
  renewBeforeMs: number;
  /** A new certificate that has not connected within this long is rolled back. */
  confirmTimeoutMs: number;
  /** Written by `camgate cert renew`; the agent takes it as a request. */
  requestFile: string;
  logger: Logger;
  /** The CSR's serialNumber: the box's machine id. */
  boxSerial: () => Promise<string>;
  crashAt?: CrashPoint | undefined;
  now?: () => number;
  tickMs?: number;
}

/** After a failed renewal, the expiry check tries again no sooner than this. */
const RETRY_AFTER_FAILURE_MS = 6 * 3600_000;
/** While a request is unanswered, its CSR goes again this often (and on every connect). */
const RESEND_EVERY_MS = 3600_000;
const TICK_MS = 5_000;

/** A request's id: from the next key itself, so a restart sends the same request again. */
function requestIdOf(keyPem: string): string {
  const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64url").slice(0, 32);
}

/**
 * Renews the box certificate over the uplink: when it ends within `pki.renewBefore`, on a
 * `cert.renew` command or on `camgate cert renew`. A new key of the same type is made and kept
 * beside the old one, its CSR goes to the center on `cert/request` (again on every connect until
 * answered), the certificate that comes back on `cert/issued` is checked exactly as
 * `cert install` checks it, the pair is swapped (IdentityFiles), the session reconnects with it,
 * and the old key goes once the new pair has connected, or comes back if it does not connect
 * within `confirmTimeoutMs`. Outcomes are events (`certificate_renewed`,
 * `certificate_renewal_failed`) and `status()`.
 */
export class CertificateRenewal implements Component {
  readonly name = "cert-renewal";
  #state: RenewalStatus = { state: "idle", requestId: null, reason: null, since: null, last: null };
  #nextKeyPem: string | undefined;
  #work: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #confirmTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void)[] = [];
  #lastCheckMs = Number.NEGATIVE_INFINITY;
  #lastSentMs = Number.NEGATIVE_INFINITY;
  #retryAfterMs = Number.NEGATIVE_INFINITY;
  #stopped = true;
  /** Connections seen, and the one the request last went out on (once per connection). */
  #connects = 0;
  #sentOnConnect = -1;

  constructor(private readonly deps: RenewalDeps) {}

  /** Finishes what a crash left half-done before the session reads the key and certificate. */
  async start(signal: AbortSignal): Promise<void> {
    const found = await this.deps.files.recover();
    signal.throwIfAborted();
    if (found.kind === "requested") {
      this.#nextKeyPem = found.nextKeyPem;
      this.#enter("requested", requestIdOf(found.nextKeyPem), null);
    } else if (found.kind === "confirming") {
      this.#enter("confirming", null, null);
      this.#armConfirmTimeout();
    }
    this.#stopped = false;
    const { session, topics, bus } = this.deps;
    this.#unsubscribe = [
      session.subscribe(topics.certificateIssued(), (message) =>
        this.#serially(() => this.#onIssued(message)),
      ),
      bus.on("uplinkState", ({ connected }) => {
        if (!connected) return;
        this.#connects++;
        this.#serially(() => this.#onConnected());
      }),
    ];
    this.#timer = setInterval(
      () => this.#serially(() => this.#tick()),
      this.deps.tickMs ?? TICK_MS,
    );
    this.#timer.unref();
    this.#serially(() => this.#tick());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#confirmTimer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await this.#work;
  }

  status(): RenewalStatus {
    return structuredClone(this.#state);
  }

  /** Starts a renewal now (command, CLI); one under way is reported, not started twice. */
  async request(reason: RenewalReason): Promise<RenewalStatus> {
    if (this.#stopped) throw new RenewalError("the certificate renewal is not running");
    await new Promise<void>((resolve, reject) =>
      this.#serially(() => this.#begin(reason).then(resolve, reject)),
    );
    return this.status();
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }

  #serially(task: () => Promise<void>): void {
    this.#work = this.#work
      .then(() => (this.#stopped ? undefined : task()))
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "certificate renewal"));
  }

  #enter(state: RenewalStatus["state"], requestId: string | null, reason: RenewalReason | null) {
    this.#state = {
      ...this.#state,
      state,
      requestId,
      reason,
      since: state === "idle" ? null : new Date(this.#now()).toISOString(),
    };
  }

  #crashPoint(point: CrashPoint): void {
    if (this.deps.crashAt === point) process.kill(process.pid, "SIGKILL");
  }

  async #tick(): Promise<void> {
    const { requestFile } = this.deps;
    const asked = await unlink(requestFile).then(
      () => true,
      () => false,
    );
    if (asked) await this.#begin("cli");
    const now = this.#now();
    if (this.#state.state === "requested" && now - this.#lastSentMs >= RESEND_EVERY_MS)
      await this.#sendRequest();
    if (now - this.#lastCheckMs < RESEND_EVERY_MS || now < this.#retryAfterMs) return;
    this.#lastCheckMs = now;
    const current = summarize(await this.deps.files.readCertificate(), now);
    const left = Date.parse(current.notAfter) - now;
    // An expired certificate cannot connect: it is renewed on site (camgate cert install).
    if (left > 0 && left <= this.deps.renewBeforeMs) await this.#begin("expiry");
  }

  async #begin(reason: RenewalReason): Promise<void> {
    if (this.#state.state !== "idle") return;
    const locked = await this.deps.files.writable();
    if (locked !== undefined) {
      this.#state.reason = reason;
      await this.#fail(
        "setup",
        `${locked} is not writable by the agent: renewal over the uplink needs uplink.key and uplink.cert where the agent can replace them (e.g. /var/lib/camgate/keys)`,
      );
      return;
    }
    const keyPem = generateKeyLike(await this.deps.files.readKey());
    await this.deps.files.writeNextKey(keyPem);
    this.#nextKeyPem = keyPem;
    this.#enter("requested", requestIdOf(keyPem), reason);
    this.deps.logger.info({ reason, requestId: this.#state.requestId }, "certificate renewal");
    this.#crashPoint("key-generated");
    await this.#sendRequest();
  }

  async #sendRequest(): Promise<void> {
    const { session, topics } = this.deps;
    const keyPem = this.#nextKeyPem;
    const requestId = this.#state.requestId;
    if (!session.connected || keyPem === undefined || requestId === null) return;
    const current = await this.deps.files.readCertificate();
    const body: CertificateRequest = {
      schema: "camgate.cert-request/1",
      requestId,
      reason: this.#state.reason ?? "expiry",
      keyType: keyTypeOf(createPrivateKey(keyPem)),
      csr: createCsrPem(keyPem, topics.siteId, await this.deps.boxSerial()),
      currentCertificate: current,
      ts: new Date(this.#now()).toISOString(),
    };
    this.#lastSentMs = this.#now();
    this.#sentOnConnect = this.#connects;
    try {
      await session.publish(topics.certificateRequest(), JSON.stringify(body), {
        qos: 1,
        contentType: CONTENT_TYPE,
      });
    } catch (error) {
      this.deps.logger.warn({ err: error }, "certificate request not sent; again on connect");
      return;
    }
    this.#crashPoint("csr-sent");
  }

  async #onConnected(): Promise<void> {
    if (this.#state.state === "requested" && this.#sentOnConnect !== this.#connects)
      await this.#sendRequest();
    if (this.#state.state !== "confirming") return;
    const current = await this.deps.files.readCertificate();
    if (this.deps.session.connectedCertificate !== current) return;
    const previous = await readFile(this.deps.files.oldCert, "utf8").catch(() => undefined);
    await this.deps.files.confirm();
    clearTimeout(this.#confirmTimer);
    const summary = summarize(current, this.#now());
    const detail = {
      serialNumber: summary.serialNumber,
      notAfter: summary.notAfter,
      ...(previous ? { previousSerialNumber: new X509Certificate(previous).serialNumber } : {}),
      ...(this.#state.reason ? { reason: this.#state.reason } : {}),
    };
    this.#enter("idle", null, null);
    this.#state.last = { ok: true, at: new Date(this.#now()).toISOString(), ...detail };
    this.deps.events.record("certificate_renewed", null, detail);
    this.deps.logger.info(
      detail,
      "certificate renewed: the new one is in use, the old key removed",
    );
  }

  async #onIssued(message: InboundMessage): Promise<void> {
    const keyPem = this.#nextKeyPem;
    if (this.#state.state !== "requested" || keyPem === undefined) return;
    if (message.payload.length > MAX_CERTIFICATE_MESSAGE_BYTES) return;
    let parsed;
    try {
      parsed = certificateIssuedSchema.safeParse(JSON.parse(message.payload.toString("utf8")));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.deps.logger.warn({ topic: message.topic }, "unreadable certificate answer ignored");
      return;
    }
    const answer = parsed.data;
    if (answer.requestId !== this.#state.requestId) return; // an answer to an earlier request
    if ("error" in answer) {
      await this.#fail("refused", `${answer.error.code}: ${answer.error.message}`);
      return;
    }
    try {
      verifyBoxCertificate(answer.certificate, await readFile(this.deps.caFile, "utf8"), keyPem, {
        siteId: this.deps.topics.siteId,
        nowMs: this.#now(),
      });
    } catch (error) {
      await this.#fail("check", error instanceof Error ? error.message : String(error));
      return;
    }
    try {
      await this.deps.files.writeNextCertificate(answer.certificate);
    } catch (error) {
      await this.#fail("install", error instanceof Error ? error.message : String(error));
      return;
    }
    this.#crashPoint("cert-received");
    await this.deps.files.swap(() => this.#crashPoint("mid-swap"));
    this.#nextKeyPem = undefined;
    this.#enter("confirming", this.#state.requestId, this.#state.reason);
    this.#armConfirmTimeout();
    await this.deps.session.renewIdentity("certificate renewed: connecting with the new one");
  }

  #armConfirmTimeout(): void {
    clearTimeout(this.#confirmTimer);
    this.#confirmTimer = setTimeout(
      () => this.#serially(() => this.#rollBack()),
      this.deps.confirmTimeoutMs,
    );
    this.#confirmTimer.unref();
  }

  async #rollBack(): Promise<void> {
    if (this.#state.state !== "confirming") return;
    await this.deps.files.rollback();
    await this.deps.session.renewIdentity("the new certificate did not connect: back to the old");
    await this.#fail("connect", "the new certificate did not connect; the previous one is back");
  }

  async #fail(
    stage: "setup" | "refused" | "check" | "install" | "connect",
    error: string,
  ): Promise<void> {
    if (stage !== "connect" && stage !== "setup") await this.deps.files.abandon();
    this.#nextKeyPem = undefined;
    const reason = this.#state.reason;
    this.#enter("idle", null, null);
    this.#state.last = { ok: false, at: new Date(this.#now()).toISOString(), error };
    this.#retryAfterMs = this.#now() + RETRY_AFTER_FAILURE_MS;
    this.deps.events.record("certificate_renewal_failed", null, {
      stage,
      error,
      ...(reason ? { reason } : {}),
    });
    this.deps.logger.error({ stage, error }, "certificate renewal failed");
  }
}
