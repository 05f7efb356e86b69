import type { X509Certificate } from "node:crypto";
import forge from "node-forge";
import type { AuditContext } from "../context.js";
import { describeHead } from "../evidence.js";
import { rtspRequest } from "../probes/rtsp.js";
import { type TlsHandshake, type TlsHandshakeOptions, tlsHandshake } from "../probes/tls.js";
import type { Evidence } from "../types.js";
import { type Check, note, outcome } from "./check.js";
import { cameraAlive } from "./services.js";

const RTSPS_PORT = 322;
/** Suites the ONVIF Security Baseline rules out: RC4, 3DES/DES, export, NULL, anonymous, static RSA. */
const WEAK_SUITES = "RC4:3DES:DES:EXPORT:NULL:eNULL:aNULL:kRSA:@SECLEVEL=0";

function handshakeEvidence(
  ctx: AuditContext,
  port: number,
  what: string,
  result: TlsHandshake,
): Evidence {
  return ctx.scrub.record("tls:handshake", {
    sent: `TLS ClientHello to ${ctx.host}:${port} offering ${what}`,
    received: result.ok
      ? `handshake completed: ${result.protocol}, ${result.cipher}`
      : `refused: ${result.reason}`,
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
        evidence: [...ports.evidence, note("HTTPS is disabled in GetNetworkProtocols")],
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
        handshakeEvidence(ctx, ports.https, "the client's defaults", handshake),
      ],
    };
  });
}

async function restrictedHandshake(
  ctx: AuditContext,
  port: number,
  what: string,
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
        return outcome("pass", [...evidence, note("no web interface on plain HTTP")]);
      return outcome("fail", [
        ...evidence,
        note("the web interface answers on plain HTTP without redirecting to HTTPS"),
      ]);
    } catch (error) {
      const evidence = ctx.scrub.record("http:web-ui", {
        sent: `GET ${url}`,
        received: (error as Error).message,
      });
      const reference = await cameraAlive(ctx);
      return reference.alive
        ? outcome("pass", [evidence, note("plain HTTP is not served")])
        : outcome("unknown", [evidence, reference.evidence]);
    }
  },
};

const tlsVersion: Check = {
  id: "comms.tls-version",
  async run(ctx) {
    const https = await httpsEndpoint(ctx);
    if (https.port === undefined || !https.handshake?.ok)
      return outcome("not_applicable", [...https.evidence, note("no working HTTPS endpoint")]);
    const evidence: Evidence[] = [];
    let accepted = false;
    let refused = 0;
    for (const version of ["TLSv1", "TLSv1.1"] as const) {
      const { result, evidence: record } = await restrictedHandshake(
        ctx,
        https.port,
        `only ${version}`,
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
      return outcome("not_applicable", [...https.evidence, note("no working HTTPS endpoint")]);
    const { result, evidence } = await restrictedHandshake(
      ctx,
      https.port,
      `only weak suites (${WEAK_SUITES})`,
      {
        minVersion: "TLSv1",
        maxVersion: "TLSv1.2",
        ciphers: WEAK_SUITES,
      },
    );
    if (result.ok)
      return outcome("fail", [evidence, note(`weak suite accepted: ${result.cipher}`)]);
    return outcome(result.refused ? "pass" : "unknown", [evidence]);
  },
};

function signatureAlgorithm(certificate: X509Certificate): string | undefined {
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(certificate.raw.toString("binary")));
    const algorithm = (asn1.value as forge.asn1.Asn1[])[1];
    const oid = (algorithm?.value as forge.asn1.Asn1[] | undefined)?.[0];
    if (!oid || typeof oid.value !== "string") return undefined;
    const dotted = forge.asn1.derToOid(oid.value);
    return forge.pki.oids[dotted] ?? dotted;
  } catch {
    return undefined;
  }
}

/** What is wrong with a served certificate, in words a technician can check. */
export function certificateProblems(
  certificate: X509Certificate,
  host: string,
  nowMs = Date.now(),
): string[] {
  const problems: string[] = [];
  if (Date.parse(certificate.validTo) < nowMs) problems.push(`expired on ${certificate.validTo}`);
  if (Date.parse(certificate.validFrom) > nowMs)
    problems.push(`not valid before ${certificate.validFrom}`);
  if (certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey))
    problems.push("self-signed");
  const algorithm = signatureAlgorithm(certificate) ?? "";
  if (/sha1|md5|md2/i.test(algorithm)) problems.push(`signed with ${algorithm}`);
  const details = certificate.publicKey.asymmetricKeyDetails;
  if (certificate.publicKey.asymmetricKeyType === "rsa" && (details?.modulusLength ?? 0) < 2048)
    problems.push(`RSA key of ${details?.modulusLength ?? "?"} bits`);
  const nameMatches = /^[\d.]+$|:/.test(host)
    ? certificate.checkIP(host)
    : certificate.checkHost(host);
  if (!nameMatches) problems.push(`not issued for ${host}`);
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
      const legacy = await restrictedHandshake(ctx, https.port, "any version", {
        minVersion: "TLSv1",
        ciphers: "DEFAULT:@SECLEVEL=0",
      });
      handshake = legacy.result;
      evidence.push(legacy.evidence);
    }
    if (!handshake?.ok)
      return outcome("not_applicable", [...evidence, note("no working HTTPS endpoint")]);
    const leaf = handshake.chain[0];
    if (!leaf) return outcome("unknown", [...evidence, note("the server sent no certificate")]);
    const problems = certificateProblems(leaf, ctx.host);
    const description = note(
      `subject ${leaf.subject.replace(/\n/g, ", ")}; issuer ${leaf.issuer.replace(/\n/g, ", ")}; valid ${leaf.validFrom} to ${leaf.validTo}; ` +
        `signature ${signatureAlgorithm(leaf) ?? "unknown"}; key ${leaf.publicKey.asymmetricKeyType ?? "?"} ${leaf.publicKey.asymmetricKeyDetails?.modulusLength ?? leaf.publicKey.asymmetricKeyDetails?.namedCurve ?? ""}`,
    );
    return problems.length > 0
      ? outcome("fail", [...evidence, description, note(problems.join("; "))])
      : outcome("pass", [...evidence, description]);
  },
};

const videoEncryption: Check = {
  id: "comms.video-encryption",
  async run(ctx) {
    const uris = ctx.streamUris();
    const secure = uris.filter((url) => url.protocol === "rtsps:");
    const evidence: Evidence[] = [
      note(`stream URIs: ${uris.map((url) => url.href).join(", ") || "none known"}`),
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
          sent: `OPTIONS ${probe.href} over TLS`,
          received: reply.statusLine,
        }),
      );
      return outcome("pass", evidence);
    } catch (error) {
      evidence.push(
        ctx.scrub.record("rtsps:options", {
          sent: `OPTIONS ${probe.href} over TLS`,
          received: (error as Error).message,
        }),
      );
      const reference = await cameraAlive(ctx);
      if (!reference.alive) return outcome("unknown", [...evidence, reference.evidence]);
      return outcome("fail", [...evidence, note("video is offered only as plain RTP over RTSP")]);
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
