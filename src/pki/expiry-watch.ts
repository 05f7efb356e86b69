import { summarize } from "./certificates.js";

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface CertificateHealth {
  subject: string;
  notAfter: string;
  daysLeft: number;
  fingerprintSha256: string;
}

/**
 * Watches the box certificate's end of validity: its figures for health, and a warning (at most
 * once a day) from `EXPIRY_WARNING_DAYS` before it ends, so the center can issue a new one.
 */
export class CertificateWatch {
  #warnedMs = Number.NEGATIVE_INFINITY;

  constructor(
    /** Reads the installed certificate (it may be replaced while the agent runs). */
    private readonly certificatePem: () => string,
    private readonly warn: (health: CertificateHealth) => void,
    private readonly now: () => number = Date.now,
  ) {}

  health(): CertificateHealth {
    const summary = summarize(this.certificatePem(), this.now());
    return {
      subject: summary.subject,
      notAfter: summary.notAfter,
      daysLeft: summary.daysLeft,
      fingerprintSha256: summary.fingerprintSha256,
    };
  }

  check(): CertificateHealth {
    const health = this.health();
    const now = this.now();
    if (health.daysLeft <= EXPIRY_WARNING_DAYS && now - this.#warnedMs >= DAY_MS) {
      this.#warnedMs = now;
      this.warn(health);
    }
    return health;
  }
}
