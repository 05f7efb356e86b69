import type { AuditSettings } from "../../src/audit/index.js";

/**
 * Audit settings for tests against local cameras: no pause between factory-password tries, the
 * lockout budget of Decision 724 (5 failures in 30 s), and whatever a test changes.
 */
export function auditSettings(overrides: Partial<AuditSettings> = {}): AuditSettings {
  return {
    baseline: "qcvn11-2026",
    enable: [],
    probeTimeoutMs: 3000,
    runTimeoutMs: 120_000,
    credentialTrySpacingMs: 0,
    lockout: { maxFailures: 5, windowMs: 30_000 },
    ...overrides,
  };
}
