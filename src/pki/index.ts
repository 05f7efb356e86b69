export {
  type CertificateSummary,
  CertificateError,
  createCsrPem,
  generateKeyLike,
  generatePrivateKeyPem,
  keyTypeOf,
  readPrivateKey,
  summarize,
  writeNewKey,
} from "./certificates.js";
export {
  type BoxCertificateCheck,
  certificateMatchesKey,
  parseCertificates,
  siteNamedBy,
  verifyBoxCertificate,
  verifyChain,
} from "./box-certificate.js";
export { allowsClientAuth } from "./usage.js";
export { signatureAlgorithm } from "./signature-algorithm.js";
export { KeyFileError, TlsMaterialError, UnsealError } from "./errors.js";
export { type MutualTlsOptions, readTlsMaterial, type TlsMaterial, tlsOptions } from "./tls.js";
export {
  type Authority,
  createAuthority,
  createDevPki,
  type DevPkiFiles,
  issueCertificate,
  issueFromCsr,
} from "./issue.js";
export { assertPrivateFile, assertPrivateFiles, SecretSealer } from "./sealer.js";
export { type CertificateHealth, CertificateWatch, EXPIRY_WARNING_DAYS } from "./expiry-watch.js";
export { boxSerial } from "./box-serial.js";
