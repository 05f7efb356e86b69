/** The brute-force protection the audit assumes of a camera: a lock after `maxFailures` in `windowMs`. */
export interface LockoutAssumption {
  maxFailures: number;
  windowMs: number;
}

/** Failures the audit leaves unspent below a lockout threshold, for the camera's real users. */
export const LOCKOUT_MARGIN = 2;
/** A camera claiming a longer window than this is taken at this (its reply is untrusted). */
const MAX_WINDOW_MS = 3_600_000;

/**
 * The failed logins the audit may cause one camera: at most the lockout threshold minus two in
 * any window, counted across every check and every run that shares this object. A login that
 * may be refused reserves its place before it is sent, so concurrent callers cannot overshoot;
 * a refusal, an error or a timeout counts as a failure from the moment it is known (later than
 * the camera counted it, so the window is never underestimated).
 */
export class LoginBudget {
  readonly #failures: number[] = [];
  #inFlight = 0;
  #maxFailures: number;
  #windowMs: number;

  constructor(
    assumed: LockoutAssumption,
    private readonly now: () => number = Date.now,
  ) {
    this.#maxFailures = assumed.maxFailures;
    this.#windowMs = assumed.windowMs;
  }

  /** Failed logins allowed in any window. */
  get limit(): number {
    return Math.max(0, this.#maxFailures - LOCKOUT_MARGIN);
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Failures in the current window plus logins still in flight. */
  spent(): number {
    const since = this.now() - this.#windowMs;
    while (this.#failures.length > 0 && (this.#failures[0] ?? 0) <= since) this.#failures.shift();
    return this.#failures.length + this.#inFlight;
  }

  remaining(): number {
    return Math.max(0, this.limit - this.spent());
  }

  /**
   * What the camera reports of its own protection, where it is stricter than assumed: a lower
   * threshold or a longer window. A camera never loosens the budget.
   */
  tighten(reported: LockoutAssumption): void {
    if (Number.isInteger(reported.maxFailures) && reported.maxFailures >= 1)
      this.#maxFailures = Math.min(this.#maxFailures, reported.maxFailures);
    if (Number.isFinite(reported.windowMs) && reported.windowMs > 0)
      this.#windowMs = Math.max(this.#windowMs, Math.min(reported.windowMs, MAX_WINDOW_MS));
  }

  recordFailure(): void {
    this.#failures.push(this.now());
  }

  /**
   * Failed logins of unknown number happened (the technician's own credentials were refused,
   * maybe on several calls at once): the window is taken as spent, by at least one failure.
   */
  exhaust(): void {
    do this.recordFailure();
    while (this.spent() < this.limit);
  }

  /**
   * Runs `work`, a login that may be refused, if the window has room for one more failure;
   * `refused` tells from its result whether it failed. Undefined when there was no room.
   */
  async attempt<T>(
    work: () => Promise<T>,
    refused: (result: T) => boolean,
  ): Promise<{ result: T } | undefined> {
    if (this.spent() >= this.limit) return undefined;
    this.#inFlight++;
    let failed = true;
    try {
      const result = await work();
      failed = refused(result);
      return { result };
    } finally {
      this.#inFlight--;
      if (failed) this.recordFailure();
    }
  }
}

/** One budget per camera, for every audit of it that one owner (the audit runner) makes. */
export class LoginBudgets {
  readonly #byCamera = new Map<string, LoginBudget>();

  constructor(
    private readonly assumed: LockoutAssumption,
    private readonly now: () => number = Date.now,
  ) {}

  /** The camera's budget; kept for the owner's lifetime (one per camera of the inventory). */
  forCamera(key: string): LoginBudget {
    let budget = this.#byCamera.get(key);
    if (!budget) {
      budget = new LoginBudget(this.assumed, this.now);
      this.#byCamera.set(key, budget);
    }
    return budget;
  }
}
