export { IdentityFiles, type IdentityState, renewRequestFile } from "./identity-files.js";
export {
  CertificateRenewal,
  type CrashPoint,
  RenewalError,
  type RenewalReason,
  type RenewalStatus,
} from "./renewal.js";
