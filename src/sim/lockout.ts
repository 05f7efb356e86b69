/** A camera's brute-force protection: lock after `maxFailures` failed logins within `windowMs`. */
export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  /** How long the account stays locked (Decision 724's default: 5 minutes). */
  lockMs: number;
}

/** Decision 724's default: 5 failures within 30 s lock the account for 5 minutes. */
export const D724_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowMs: 30_000, lockMs: 5 * 60_000 };

const MAX_KEPT = 10_000;

/**
 * Every failed login of one simulated camera, on any protocol, and the locks they caused. With
 * a policy, a locked camera refuses even the right credentials until the lock ends; without one
 * it only counts, so tests can see how many failures a client caused.
 */
export class LoginLockout {
  readonly #failures: number[] = [];
  readonly #locks: { fromMs: number; untilMs: number }[] = [];

  constructor(readonly policy: LockoutPolicy | undefined) {}

  /** Times of the failed logins, oldest first (the last 10,000). */
  failures(): readonly number[] {
    return this.#failures;
  }

  /** Every lock so far. */
  locks(): readonly { fromMs: number; untilMs: number }[] {
    return this.#locks;
  }

  isLocked(nowMs = Date.now()): boolean {
    const last = this.#locks.at(-1);
    return last !== undefined && nowMs < last.untilMs;
  }

  /**
   * The camera's answer to one login: `verified` is what the credentials alone deserve,
   * `presented` whether the request carried any. Returns whether the login is let in.
   */
  judge(verified: boolean, presented: boolean, nowMs = Date.now()): boolean {
    const locked = this.isLocked(nowMs);
    if (verified && !locked) return true;
    if (!presented) return false;
    this.#failures.push(nowMs);
    if (this.#failures.length > MAX_KEPT)
      this.#failures.splice(0, this.#failures.length - MAX_KEPT);
    const policy = this.policy;
    if (policy && !locked) {
      const recent = this.#failures.filter((ts) => ts > nowMs - policy.windowMs).length;
      if (recent >= policy.maxFailures)
        this.#locks.push({ fromMs: nowMs, untilMs: nowMs + policy.lockMs });
    }
    return false;
  }

  clear(): void {
    this.#failures.length = 0;
    this.#locks.length = 0;
  }
}
