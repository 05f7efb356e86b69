import type { X509Certificate } from "node:crypto";
import { signatureAlgorithm } from "../../pki/index.js";
import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { rtspRequest } from "../probes/rtsp.js";
import { type TlsHandshake, type TlsHandshakeOptions, tlsHandshake } from "../probes/tls.js";
import { errorSaid, joined, mapSaid, probeReason, type Said, said } from "../said.js";
import type { Evidence } from "../types.js";
import { type Check, note, outcome } from "./check.js";
import { cameraAlive } from "./services.js";

const RTSPS_PORT = 322;
const NO_HTTPS = said("no working HTTPS endpoint", "không có cổng HTTPS nào hoạt động");
/** Suites the ONVIF Security Baseline rules out: RC4, 3DES/DES, export, NULL, anonymous, static RSA. */
const WEAK_SUITES = "RC4:3DES:DES:EXPORT:NULL:eNULL:aNULL:kRSA:@SECLEVEL=0";

function handshakeEvidence(
  ctx: AuditContext,
  port: number,
  what: Said,
  result: TlsHandshake,
): Evidence {
  return ctx.scrub.record("tls:handshake", {
    sent: said(
      `TLS ClientHello to ${ctx.host}:${port} offering ${what.en}`,
      `Gửi TLS ClientHello tới ${ctx.host}:${port}, đề nghị ${what.vi}`,
    ),
    received: result.ok
      ? said(
          `handshake completed: ${result.protocol}, ${result.cipher}`,
          `bắt tay thành công: ${result.protocol}, ${result.cipher}`,
        )
      : mapSaid(
          probeReason(result.reason),
          (why, lang) => `${lang === "vi" ? "bị từ chối" : "refused"}: ${why}`,
        ),
  });
}

/** The HTTPS port (from GetNetworkProtocols) and one default handshake on it, shared by checks. */
function httpsEndpoint(
  ctx: AuditContext,
): Promise<{ port: number | undefined; handshake?: TlsHandshake; evidence: Evidence[] }> {
  return ctx.memo("https", async () => {
    const ports = await ctx.ports();
    if (ports.https === undefined)
      return {
        port: undefined,
        evidence: [
          ...ports.evidence,
          note(
            said(
              "HTTPS is disabled in GetNetworkProtocols",
              "HTTPS đang tắt theo GetNetworkProtocols",
            ),
          ),
        ],
      };
    const handshake = await tlsHandshake(ctx.host, ports.https, {
      timeoutMs: ctx.settings.probeTimeoutMs,
      signal: ctx.signal,
    });
    return {
      port: ports.https,
      handshake,
      evidence: [
        ...ports.evidence,
        handshakeEvidence(
          ctx,
          ports.https,
          said("the client's defaults", "các thiết lập mặc định của máy khách"),
          handshake,
        ),
      ],
    };
  });
}

async function restrictedHandshake(
  ctx: AuditContext,
  port: number,
  what: Said,
  options: Omit<TlsHandshakeOptions, "timeoutMs" | "signal">,
) {
  const result = await tlsHandshake(ctx.host, port, {
    ...options,
    timeoutMs: ctx.settings.probeTimeoutMs,
    signal: ctx.signal,
  });
  return { result, evidence: handshakeEvidence(ctx, port, what, result) };
}

const httpsManagement: Check = {
  id: "comms.https-management",
  async run(ctx) {
    const https = await httpsEndpoint(ctx);
    if (https.handshake?.ok) return outcome("pass", https.evidence);
    const reference = await cameraAlive(ctx);
    if (!reference.alive) return outcome("unknown", [...https.evidence, reference.evidence]);
    return outcome("fail", https.evidence);
  },
};

const cleartextManagement: Check = {
  id: "comms.cleartext-management",
  async run(ctx) {
    const root = await ctx.webRootUrl();
    const url = root.href;
    try {
      const reply = await ctx.anonymousGet(root);
      const location = String(reply.headers.location ?? "");
      const evidence = [
        ctx.scrub.record("http:web-ui", {
          sent: `GET ${url}`,
          received: describeHead(`HTTP ${reply.status}`, {
            location: reply.headers.location,
            "www-authenticate": reply.headers["www-authenticate"],
          }),
        }),
      ];
      if (
        reply.status >= 300 &&
        reply.status < 400 &&
        location.toLowerCase().startsWith("https://")
      )
        return outcome("pass", evidence);
      if (reply.status === 404)
        return outcome("pass", [
          ...evidence,
          note(said("no web interface on plain HTTP", "không có giao diện web trên HTTP thường")),
        ]);
      return outcome("fail", [
        ...evidence,
        note(
          said(
            "the web interface answers on plain HTTP without redirecting to HTTPS",
            "giao diện web trả lời trên HTTP thường mà không chuyển sang HTTPS",
          ),
        ),
      ]);
    } catch (error) {
      const evidence = ctx.scrub.record("http:web-ui", {
        sent: `GET ${url}`,
        received: errorSaid(error),
      });
      const reference = await cameraAlive(ctx);
      return reference.alive
        ? outcome("pass", [
            evidence,
            note(said("plain HTTP is not served", "camera không phục vụ HTTP thường")),
          ])
        : outcome("unknown", [evidence, reference.evidence]);
    }
  },
};

const tlsVersion: Check = {
  id: "comms.tls-version",
  async run(ctx) {
    const https = await httpsEndpoint(ctx);
    if (https.port === undefined || !https.handshake?.ok)
      return outcome("not_applicable", [...https.evidence, note(NO_HTTPS)]);
    const evidence: Evidence[] = [];
    let accepted = false;
    let refused = 0;
    for (const version of ["TLSv1", "TLSv1.1"] as const) {
      const { result, evidence: record } = await restrictedHandshake(
        ctx,
        https.port,
        said(`only ${version}`, `chỉ ${version}`),
        {
          minVersion: version,
          maxVersion: version,
          ciphers: "DEFAULT:@SECLEVEL=0",
        },
      );
      evidence.push(record);
      if (result.ok) accepted = true;
      else if (result.refused) refused++;
    }
    if (accepted) return outcome("fail", evidence);
    return outcome(refused === 2 ? "pass" : "unknown", evidence);
  },
};

const tlsCiphers: Check = {
  id: "comms.tls-ciphers",
  async run(ctx) {
    const https = await httpsEndpoint(ctx);
    if (https.port === undefined || !https.handshake?.ok)
      return outcome("not_applicable", [...https.evidence, note(NO_HTTPS)]);
    const { result, evidence } = await restrictedHandshake(
      ctx,
      https.port,
      said(`only weak suites (${WEAK_SUITES})`, `chỉ các bộ mã hóa yếu (${WEAK_SUITES})`),
      {
        minVersion: "TLSv1",
        maxVersion: "TLSv1.2",
        ciphers: WEAK_SUITES,
      },
    );
    if (result.ok)
      return outcome("fail", [
        evidence,
        note(
          said(
            `weak suite accepted: ${result.cipher}`,
            `camera chấp nhận bộ mã hóa yếu: ${result.cipher}`,
          ),
        ),
      ]);
    return outcome(result.refused ? "pass" : "unknown", [evidence]);
  },
};

/** What is wrong with a served certificate, in words a technician can check. */
export function certificateProblems(
  certificate: X509Certificate,
  host: string,
  nowMs = Date.now(),
): Said[] {
  const problems: Said[] = [];
  const { validFrom, validTo } = certificate;
  if (Date.parse(validTo) < nowMs)
    problems.push(said(`expired on ${validTo}`, `đã hết hạn từ ${validTo}`));
  if (Date.parse(validFrom) > nowMs)
    problems.push(said(`not valid before ${validFrom}`, `chưa có hiệu lực trước ${validFrom}`));
  if (certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey))
    problems.push(said("self-signed", "tự ký"));
  const algorithm = signatureAlgorithm(certificate) ?? "";
  if (/sha1|md5|md2/i.test(algorithm))
    problems.push(said(`signed with ${algorithm}`, `ký bằng ${algorithm}`));
  const details = certificate.publicKey.asymmetricKeyDetails;
  if (certificate.publicKey.asymmetricKeyType === "rsa" && (details?.modulusLength ?? 0) < 2048) {
    const bits = details?.modulusLength ?? "?";
    problems.push(said(`RSA key of ${bits} bits`, `khóa RSA chỉ ${bits} bit`));
  }
  const nameMatches = /^[\d.]+$|:/.test(host)
    ? certificate.checkIP(host)
    : certificate.checkHost(host);
  if (!nameMatches) problems.push(said(`not issued for ${host}`, `không cấp cho ${host}`));
  return problems;
}

const tlsCertificate: Check = {
  id: "comms.tls-certificate",
  async run(ctx) {
    const https = await httpsEndpoint(ctx);
    let handshake = https.handshake;
    const evidence = [...https.evidence];
    if (https.port !== undefined && handshake && !handshake.ok) {
      // A camera that only speaks old TLS still shows its certificate to an old client.
      const legacy = await restrictedHandshake(
        ctx,
        https.port,
        said("any version", "mọi phiên bản"),
        {
          minVersion: "TLSv1",
          ciphers: "DEFAULT:@SECLEVEL=0",
        },
      );
      handshake = legacy.result;
      evidence.push(legacy.evidence);
    }
    if (!handshake?.ok) return outcome("not_applicable", [...evidence, note(NO_HTTPS)]);
    const leaf = handshake.chain[0];
    if (!leaf)
      return outcome("unknown", [
        ...evidence,
        note(said("the server sent no certificate", "máy chủ không gửi chứng chỉ nào")),
      ]);
    const problems = certificateProblems(leaf, ctx.host);
    const subject = leaf.subject.replace(/\n/g, ", ");
    const issuer = leaf.issuer.replace(/\n/g, ", ");
    const signature = signatureAlgorithm(leaf);
    const details = leaf.publicKey.asymmetricKeyDetails;
    const key = `${leaf.publicKey.asymmetricKeyType ?? "?"} ${details?.modulusLength ?? details?.namedCurve ?? ""}`;
    const description = note(
      said(
        `subject ${subject}; issuer ${issuer}; valid ${leaf.validFrom} to ${leaf.validTo}; ` +
          `signature ${signature ?? "unknown"}; key ${key}`,
        `chủ thể ${subject}; bên cấp ${issuer}; hiệu lực từ ${leaf.validFrom} đến ${leaf.validTo}; ` +
          `chữ ký ${signature ?? "không rõ"}; khóa ${key}`,
      ),
    );
    return problems.length > 0
      ? outcome("fail", [...evidence, description, note(joined(problems))])
      : outcome("pass", [...evidence, description]);
  },
};

const videoEncryption: Check = {
  id: "comms.video-encryption",
  async run(ctx) {
    const uris = ctx.streamUris();
    const secure = uris.filter((url) => url.protocol === "rtsps:");
    const evidence: Evidence[] = [
      note(
        said(
          `stream URIs: ${uris.map((url) => url.href).join(", ") || "none known"}`,
          `địa chỉ luồng video: ${uris.map((url) => url.href).join(", ") || "không biết"}`,
        ),
      ),
    ];
    if (secure.length > 0) return outcome("pass", evidence);
    // Many cameras serve RTSPS on the standard port without advertising it in Media1.
    const plain = uris[0];
    const probe = new URL(plain ? plain.href : `rtsps://${ctx.host}/`);
    probe.protocol = "rtsps:";
    probe.port = String(RTSPS_PORT);
    try {
      const reply = await rtspRequest(probe, "OPTIONS", {
        timeoutMs: ctx.settings.probeTimeoutMs,
        signal: ctx.signal,
      });
      evidence.push(
        ctx.scrub.record("rtsps:options", {
          sent: said(`OPTIONS ${probe.href} over TLS`, `OPTIONS ${probe.href} qua TLS`),
          received: reply.statusLine,
        }),
      );
      return outcome("pass", evidence);
    } catch (error) {
      evidence.push(
        ctx.scrub.record("rtsps:options", {
          sent: said(`OPTIONS ${probe.href} over TLS`, `OPTIONS ${probe.href} qua TLS`),
          received: errorSaid(error),
        }),
      );
      const reference = await cameraAlive(ctx);
      if (!reference.alive) return outcome("unknown", [...evidence, reference.evidence]);
      return outcome("fail", [
        ...evidence,
        note(
          said(
            "video is offered only as plain RTP over RTSP",
            "video chỉ được cung cấp dạng RTP thường qua RTSP (không mã hóa)",
          ),
        ),
      ]);
    }
  },
};

export const COMMS_CHECKS: Check[] = [
  httpsManagement,
  cleartextManagement,
  tlsVersion,
  tlsCiphers,
  tlsCertificate,
  videoEncryption,
];
