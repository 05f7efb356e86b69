import { z } from "zod";
import { TOPIC_PREFIX } from "./topics.js";

/** A certificate request or answer is at most this many bytes of JSON (a chain of a few PEMs). */
export const MAX_CERTIFICATE_MESSAGE_BYTES = 32 * 1024;

const requestId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "16 to 64 characters [A-Za-z0-9_-]");
const pem = (label: string, max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => text.includes(`-----BEGIN ${label}-----`), `not a PEM ${label}`);

/**
 * `cert/request`, box to center: the CSR of the box's next key (CN = site id), with the
 * certificate it connects with now, so the issuer can hold the new one to the same site and key
 * type. The box sends it again (same `requestId`, same CSR) on every connect until it is answered.
 */
export const certificateRequestSchema = z.strictObject({
  schema: z.literal("camgate.cert-request/1"),
  requestId,
  reason: z.enum(["expiry", "command", "cli"]),
  keyType: z.string().regex(/^(rsa-\d{4}|ec-[A-Za-z0-9-]{1,32})$/),
  csr: pem("CERTIFICATE REQUEST", 8 * 1024),
  currentCertificate: pem("CERTIFICATE", 16 * 1024),
  ts: z.iso.datetime({ offset: true }),
});
export type CertificateRequest = z.output<typeof certificateRequestSchema>;

/**
 * `cert/issued`, center to box: the certificate for a request (PEM, the leaf first, then any
 * intermediates), or why it was refused.
 */
export const certificateIssuedSchema = z.union([
  z.strictObject({
    schema: z.literal("camgate.cert-issued/1"),
    requestId,
    certificate: pem("CERTIFICATE", 24 * 1024),
  }),
  z.strictObject({
    schema: z.literal("camgate.cert-issued/1"),
    requestId,
    error: z.strictObject({
      code: z.enum(["refused", "failed"]),
      message: z.string().max(1000),
    }),
  }),
]);
export type CertificateIssued = z.output<typeof certificateIssuedSchema>;

/** The site of `camgate/v1/<site>/cert/request`, or undefined for any other topic. */
export function parseCertificateSite(topic: string): string | undefined {
  const parts = topic.split("/");
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return undefined;
  if (parts[3] !== "cert" || parts[4] !== "request") return undefined;
  const site = parts[2] ?? "";
  return /^[a-z0-9-]{1,63}$/.test(site) ? site : undefined;
}
