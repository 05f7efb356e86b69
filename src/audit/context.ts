import {
  type Credentials,
  type DeviceReport,
  interrogate,
  OnvifCallError,
} from "../discovery/index.js";
import {
  extractServices,
  extractSystemDateAndTime,
  networkProtocols,
} from "../discovery/extract.js";
import { soapCall } from "../discovery/soap-client.js";
import { NS } from "../onvif/namespaces.js";
import { usernameTokenHeader } from "../onvif/wsse.js";
import type { XmlElement } from "../onvif/xml.js";
import type { BaselineId } from "./catalogue.js";
import { EvidenceScrubber } from "./evidence.js";
import { mapSaid, onvifErrorSaid, type Said, said, verbatim } from "./said.js";
import { field, responseOf, summarizeXml } from "./xml-summary.js";
import { type HttpProbeReply, httpProbe } from "./probes/http.js";
import { safeRtspUri } from "./probes/rtsp.js";
import type { AuditData } from "./vendor-data.js";
import type { Evidence } from "./types.js";
import { type LockoutAssumption, LoginBudget } from "./login-budget.js";

/** The camera under audit, as the technician or the inventory named it. */
export interface AuditTarget {
  host: string;
  /** The ONVIF device service; none for a camera added by its RTSP URL (ONVIF off). */
  xaddr: string | undefined;
  /** Where ONVIF is off: the stream URLs the inventory holds (no credentials in them). */
  streamUris?: readonly string[] | undefined;
  credentials?: Credentials | undefined;
  cameraId?: string | undefined;
  /** WS-Discovery scopes, when known from the inventory. */
  scopes?: readonly string[] | undefined;
  /** A technician let the recorder send this camera's password with RTSP Basic (config). */
  allowBasicAuth?: boolean | undefined;
}

export interface AuditSettings {
  baseline: BaselineId;
  /** Opt-in control ids switched on. */
  enable: readonly string[];
  probeTimeoutMs: number;
  runTimeoutMs: number;
  /** Pause between two default-credential tries, so no lockout window fills up. */
  credentialTrySpacingMs: number;
  /** The lockout assumed of a camera that does not report a stricter one. */
  lockout: LockoutAssumption;
}

export type OnvifOutcome =
  | { ok: true; envelope: XmlElement; evidence: Evidence }
  | { ok: false; error: OnvifCallError; evidence: Evidence };

export interface OnvifCallSpec {
  service?: "device" | "media";
  /** No credentials at all, as an attacker would call. */
  anonymous?: boolean;
  /** Other credentials than the supplied ones (a factory default being tried). */
  credentials?: Credentials;
  /** A hand-made Security header (token freshness tests). */
  securityHeader?: string;
  /**
   * The operation's name for the evidence (its English one names the probe); defaults to the
   * body's first element.
   */
  label?: string | Said;
}

/**
 * What every check of one audit shares: the target, the settings, the data files, one evidence
 * scrubber that knows every password in play, and memoised answers so two checks that need the
 * same fact (the device's profiles, its protocol ports) ask the camera once.
 */
export class AuditContext {
  readonly scrub: EvidenceScrubber;
  readonly #memo = new Map<string, Promise<unknown>>();
  device: DeviceReport | undefined;
  deviceError: Error | undefined;
  /**
   * The technician's credentials: accepted once (a later refusal is a missing privilege, not a
   * failed login), or refused before that (a failed login: they are not sent again this audit).
   */
  #supplied: "unproven" | "accepted" | "refused" = "unproven";

  constructor(
    readonly target: AuditTarget,
    readonly settings: AuditSettings,
    readonly data: AuditData,
    readonly signal: AbortSignal,
    /** Failed logins this camera may still take, shared with every other audit of it. */
    readonly budget = new LoginBudget(settings.lockout),
  ) {
    // Factory passwords are public (they are in the vendor data) and most are also user names or
    // common words: they are removed where they stand in a password position, not everywhere.
    this.scrub = new EvidenceScrubber(target.credentials ? [target.credentials.password] : []);
  }

  get credentials(): Credentials | undefined {
    return this.target.credentials;
  }

  /** What became of the technician's credentials: none given, accepted, refused, or untold. */
  get suppliedCredentials(): "none" | "unproven" | "accepted" | "refused" {
    return this.credentials ? this.#supplied : "none";
  }

  get host(): string {
    return this.target.host;
  }

  /** Runs `work` once per key for the whole audit; later callers share the first answer. */
  memo<T>(key: string, work: () => Promise<T>): Promise<T> {
    let pending = this.#memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = work();
      this.#memo.set(key, pending);
    }
    return pending;
  }

  /** Whether the camera is audited over ONVIF: not when it was added by its RTSP URL. */
  get onvifOn(): boolean {
    return this.target.xaddr !== undefined;
  }

  /** Interrogates the camera once (with the technician's credentials when given). */
  async prepare(): Promise<void> {
    if (this.target.xaddr === undefined) return;
    try {
      this.device = await interrogate(this.target.xaddr, {
        credentials: this.target.credentials,
        callTimeoutMs: this.settings.probeTimeoutMs,
        deviceTimeoutMs: this.settings.probeTimeoutMs * 8,
        signal: this.signal,
      });
      if (this.credentials) this.#supplied = "accepted";
    } catch (error) {
      this.deviceError = error as Error;
      if (error instanceof OnvifCallError) this.#judgeSupplied(error);
    }
  }

  #judgeSupplied(error: OnvifCallError | undefined): void {
    if (!this.credentials || this.#supplied !== "unproven") return;
    if (error === undefined) {
      this.#supplied = "accepted";
    } else if (error.kind === "not-authorized") {
      this.#supplied = "refused";
      this.budget.exhaust();
    }
  }

  /**
   * A login that may be refused (a factory password, a stale token), sent only if the camera's
   * failed-login budget has room in its lockout window; undefined when it has none. The
   * camera's own lockout setting, read first, can only make the budget stricter.
   */
  async loginAttempt<T>(
    work: () => Promise<T>,
    refused: (result: T) => boolean,
  ): Promise<{ result: T } | undefined> {
    const { setting } = await this.lockoutSetting();
    if (setting?.enabled)
      this.budget.tighten({
        maxFailures: setting.maxFailures,
        windowMs: setting.periodSeconds * 1000,
      });
    return this.budget.attempt(work, refused);
  }

  /** The camera's clock offset (camera minus box) from the pre-authentication clock call. */
  clockOffsetMs(): number {
    return this.device?.clockOffsetMs ?? 0;
  }

  async onvif(body: string, spec: OnvifCallSpec = {}): Promise<OnvifOutcome> {
    const named =
      typeof spec.label === "object"
        ? spec.label
        : verbatim(spec.label ?? /^<\w+:(\w+)/.exec(body)?.[1] ?? "request");
    const label = named.en;
    const sent = mapSaid(
      spec.securityHeader
        ? said("with a hand-made token", "với token tự tạo")
        : spec.credentials
          ? said(
              `as ${spec.credentials.username} with a factory password`,
              `bằng tài khoản ${spec.credentials.username} với mật khẩu mặc định của nhà sản xuất`,
            )
          : spec.anonymous || !this.credentials
            ? said("without credentials", "không kèm thông tin đăng nhập")
            : said("with the supplied credentials", "với thông tin đăng nhập đã khai báo"),
      (how, lang) => `ONVIF ${named[lang]} ${how}`,
    );
    const failed = (error: OnvifCallError, received: Said = onvifErrorSaid(error)) => ({
      ok: false as const,
      error,
      evidence: this.scrub.record(`onvif:${label}`, { sent, received }),
    });
    const supplied = !spec.anonymous && !spec.credentials && !spec.securityHeader;
    if (supplied && this.credentials && this.#supplied === "refused") {
      const error = new OnvifCallError(
        "not-authorized",
        "not sent: the camera already refused the supplied credentials in this audit",
      );
      return failed(
        error,
        said(
          error.message,
          "không gửi: camera đã từ chối thông tin đăng nhập đã khai báo trong lần kiểm tra này",
        ),
      );
    }
    // A factory pair goes as one WS-UsernameToken, without a Digest retry: one try, one failure.
    const securityHeader =
      spec.securityHeader ??
      (spec.credentials
        ? usernameTokenHeader(
            spec.credentials.username,
            spec.credentials.password,
            this.clockOffsetMs(),
          )
        : undefined);
    if (this.target.xaddr === undefined) {
      const error = new OnvifCallError("unreachable", "not asked: ONVIF is off on this camera");
      return failed(error, said(error.message, "không hỏi: camera này tắt ONVIF"));
    }
    try {
      const xaddr = spec.service === "media" ? await this.mediaXAddr() : this.target.xaddr;
      if (!xaddr) {
        const error = new OnvifCallError("fault", "the camera advertises no media service");
        return failed(error, said(error.message, "camera không công bố dịch vụ media"));
      }
      const envelope = await soapCall(xaddr, body, {
        credentials: spec.anonymous ? undefined : (spec.credentials ?? this.credentials),
        securityHeader,
        clockOffsetMs: this.clockOffsetMs(),
        timeoutMs: this.settings.probeTimeoutMs,
        signal: this.signal,
      });
      if (supplied) this.#judgeSupplied(undefined);
      return {
        ok: true,
        envelope,
        evidence: this.scrub.record(`onvif:${label}`, { sent, received: summarizeXml(envelope) }),
      };
    } catch (error) {
      if (!(error instanceof OnvifCallError)) throw error;
      if (supplied) this.#judgeSupplied(error);
      return failed(error);
    }
  }

  /** Service addresses: from the interrogation, else from the pre-authentication GetServices. */
  services(): Promise<Record<string, string>> {
    return this.memo("services", async () => {
      if (this.device) return this.device.services;
      if (this.target.xaddr === undefined) return {};
      const reply = await this.onvif(
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        { anonymous: true },
      );
      const found = reply.ok ? extractServices(reply.envelope) : new Map<string, string>();
      const reached = new URL(this.target.xaddr);
      return Object.fromEntries(
        [...found].map(([ns, address]) => {
          try {
            const url = new URL(address);
            url.host = reached.host;
            return [ns, url.href];
          } catch {
            return [ns, address];
          }
        }),
      );
    });
  }

  async mediaXAddr(): Promise<string | undefined> {
    return (await this.services())[NS.trt];
  }

  /**
   * Stream URIs the camera gave the technician (or, ONVIF off, that the technician gave), made
   * safe and pointed at this camera.
   */
  streamUris(): URL[] {
    if (!this.device && this.target.streamUris) {
      const urls: URL[] = [];
      for (const uri of this.target.streamUris) {
        const url = safeRtspUri(uri, this.host);
        if (url && !urls.some((known) => known.href === url.href)) urls.push(url);
      }
      return urls;
    }
    return this.#uris((profile) => profile.streamUri);
  }

  snapshotUris(): URL[] {
    const host = this.host;
    const urls: URL[] = [];
    for (const profile of this.device?.profiles ?? []) {
      try {
        const url = new URL(profile.snapshotUri ?? "");
        if (url.protocol !== "http:" && url.protocol !== "https:") continue;
        url.hostname = host;
        url.username = "";
        url.password = "";
        if (!urls.some((known) => known.href === url.href)) urls.push(url);
      } catch {
        // a snapshot URI that does not parse is not probed
      }
    }
    return urls;
  }

  #uris(pick: (profile: DeviceReport["profiles"][number]) => string | undefined): URL[] {
    const urls: URL[] = [];
    for (const profile of this.device?.profiles ?? []) {
      const url = safeRtspUri(pick(profile) ?? "", this.host);
      if (url && !urls.some((known) => known.href === url.href)) urls.push(url);
    }
    return urls;
  }

  /** Ports of the camera's web and streaming services (GetNetworkProtocols, else standard). */
  ports(): Promise<{
    http: number;
    https: number | undefined;
    rtsp: number;
    evidence: Evidence[];
  }> {
    return this.memo("ports", async () => {
      if (this.target.xaddr === undefined) return this.#standardPorts();
      const reply = await this.onvif("<tds:GetNetworkProtocols/>");
      const xaddrPort = Number(new URL(this.target.xaddr).port || 80);
      const result = {
        http: xaddrPort,
        https: 443 as number | undefined,
        rtsp: 554,
        evidence: [reply.evidence],
      };
      if (!reply.ok) return result;
      for (const protocol of networkProtocols(reply.envelope)) {
        const port = protocol.ports[0];
        if (protocol.name === "HTTPS") result.https = protocol.enabled ? port : undefined;
        if (protocol.name === "HTTP" && protocol.enabled && port) result.http = port;
        if (protocol.name === "RTSP" && protocol.enabled && port) result.rtsp = port;
      }
      return result;
    });
  }

  /** ONVIF off: the standard web ports, and the RTSP port of the URL the technician gave. */
  #standardPorts() {
    const stream = this.streamUris()[0];
    const rtsp = stream?.protocol === "rtsp:" && stream.port ? Number(stream.port) : 554;
    const why = said(
      `ONVIF is off, so the camera was not asked for its ports: HTTP 80, HTTPS 443 and RTSP ${rtsp} (from its URL) are probed`,
      `camera tắt ONVIF nên không hỏi được các cổng: kiểm tra HTTP 80, HTTPS 443 và RTSP ${rtsp} (theo địa chỉ URL)`,
    );
    const evidence: Evidence = { probe: "note", note: why.en, vi: { note: why.vi } };
    return { http: 80, https: 443 as number | undefined, rtsp, evidence: [evidence] };
  }

  /** The camera's web interface on plain HTTP (the port GetNetworkProtocols names). */
  async webRootUrl(): Promise<URL> {
    const { http } = await this.ports();
    return new URL(`http://${this.host}:${http}/`);
  }

  /**
   * An anonymous GET, asked once per URL for the whole audit: several checks read the same
   * reply's status and headers (web root, snapshot challenges).
   */
  anonymousGet(url: URL): Promise<HttpProbeReply> {
    return this.memo(`GET ${url.href}`, () =>
      httpProbe(url.href, {
        timeoutMs: this.settings.probeTimeoutMs,
        maxBytes: 4096,
        signal: this.signal,
      }),
    );
  }

  /** The camera's brute-force protection (GetAuthFailureWarningConfiguration), read once. */
  lockoutSetting(): Promise<{ evidence: Evidence; setting?: LockoutSetting }> {
    return this.memo("lockout", async () => {
      const reply = await this.onvif("<tds:GetAuthFailureWarningConfiguration/>");
      if (!reply.ok) return { evidence: reply.evidence };
      const response = responseOf(reply.envelope);
      return {
        evidence: reply.evidence,
        setting: {
          enabled: field(response, "Enabled") === "true",
          disabled: field(response, "Enabled") === "false",
          maxFailures: Number(field(response, "MaxAuthFailures")),
          periodSeconds: Number(field(response, "MonitorPeriod")),
        },
      };
    });
  }

  /** The pre-authentication clock: offset to the box and the DateTimeType. */
  clock(): Promise<{ offsetMs?: number; dateTimeType?: string; evidence: Evidence }> {
    return this.memo("clock", async () => {
      const sentAt = Date.now();
      const reply = await this.onvif("<tds:GetSystemDateAndTime/>", { anonymous: true });
      if (!reply.ok) return { evidence: reply.evidence };
      const clock = extractSystemDateAndTime(reply.envelope);
      if (!clock) return { evidence: reply.evidence };
      return {
        offsetMs: clock.utcMs - Math.round((sentAt + Date.now()) / 2),
        dateTimeType: clock.dateTimeType,
        evidence: reply.evidence,
      };
    });
  }
}

export interface LockoutSetting {
  enabled: boolean;
  /** Explicitly "false", as opposed to missing or unreadable. */
  disabled: boolean;
  /** As reported; NaN when absent. */
  maxFailures: number;
  periodSeconds: number;
}
