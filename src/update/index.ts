export { DOWNLOAD_CHUNK_BYTES, downloadRelease } from "./downloader.js";
export { type UpdateRefusal, UpdateRefusedError, UpdateSetupError } from "./errors.js";
export {
  checkOffer,
  checkRollbackTarget,
  checkTarball,
  digestFile,
  guardDir,
  installGuard,
  installRelease,
  type ReleaseLayout,
  switchRelease,
  updateLayout,
} from "./release.js";
export { guardStart } from "./start-guard.js";
export { type OfferAccepted, Updater, type UpdaterDeps } from "./updater.js";
