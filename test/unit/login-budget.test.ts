import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginBudget, LoginBudgets } from "../../src/audit/login-budget.js";

const D724 = { maxFailures: 5, windowMs: 30_000 };

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A login the test settles by hand. */
function pending() {
  let settle!: (refused: boolean) => void;
  const result = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  return { work: () => result, settle };
}

const refused = async () => true;
const accepted = async () => false;
const isRefused = (result: boolean) => result;

describe("LoginBudget", () => {
  it("allows the lockout threshold minus two failures, then sends nothing more", async () => {
    const budget = new LoginBudget(D724, clock().now);
    assert.equal(budget.limit, 3);
    for (let i = 0; i < 3; i++) assert.ok(await budget.attempt(refused, isRefused));
    let ran = false;
    const fourth = await budget.attempt(async () => {
      ran = true;
      return true;
    }, isRefused);
    assert.equal(fourth, undefined);
    assert.equal(ran, false, "a login without room is not sent");
  });

  it("an accepted login costs nothing", async () => {
    const budget = new LoginBudget(D724, clock().now);
    for (let i = 0; i < 10; i++)
      assert.deepEqual(await budget.attempt(accepted, isRefused), { result: false });
    assert.equal(budget.remaining(), 3);
  });

  it("logins in flight hold their place, so concurrent callers cannot overshoot", async () => {
    const budget = new LoginBudget(D724, clock().now);
    const logins = [pending(), pending(), pending()];
    const running = logins.map((login) => budget.attempt(login.work, isRefused));
    assert.equal(await budget.attempt(refused, isRefused), undefined, "all places are held");
    logins[0]!.settle(false);
    await running[0];
    assert.equal(budget.remaining(), 1, "an accepted login gives its place back");
    logins[1]!.settle(true);
    logins[2]!.settle(true);
    await Promise.all(running);
    assert.equal(budget.remaining(), 1);
  });

  it("a login that throws counts as a failure, and the error reaches the caller", async () => {
    const budget = new LoginBudget(D724, clock().now);
    await assert.rejects(
      budget.attempt(() => Promise.reject(new Error("timeout")), isRefused),
      /timeout/,
    );
    assert.equal(budget.remaining(), 2);
  });

  it("a failure leaves the window windowMs after it was known, not after it was sent", async () => {
    const time = clock();
    const budget = new LoginBudget(D724, time.now);
    for (let i = 0; i < 2; i++) await budget.attempt(refused, isRefused);
    const slow = pending();
    const third = budget.attempt(slow.work, isRefused);
    time.advance(10_000);
    slow.settle(true);
    await third;
    time.advance(20_000);
    assert.equal(budget.remaining(), 2, "the first two are 30 s old: out of the window");
    time.advance(9_999);
    assert.equal(budget.remaining(), 2, "the third was known 10 s later and still counts");
    time.advance(1);
    assert.equal(budget.remaining(), 3);
  });

  it("takes a stricter lockout the camera reports, never a looser one", () => {
    const budget = new LoginBudget(D724, clock().now);
    budget.tighten({ maxFailures: 10, windowMs: 10_000 });
    assert.equal(budget.limit, 3);
    assert.equal(budget.windowMs, 30_000);
    budget.tighten({ maxFailures: 4, windowMs: 60_000 });
    assert.equal(budget.limit, 2);
    assert.equal(budget.windowMs, 60_000);
    budget.tighten({ maxFailures: Number.NaN, windowMs: Number.NaN });
    budget.tighten({ maxFailures: 0, windowMs: -1 });
    assert.equal(budget.limit, 2, "unreadable values change nothing");
    budget.tighten({ maxFailures: 2, windowMs: 1e12 });
    assert.equal(budget.limit, 0, "a camera that locks after 2 failures gets no try at all");
    assert.equal(budget.windowMs, 3_600_000, "a window is taken at an hour at most");
  });

  it("failures of unknown number spend the window", async () => {
    const time = clock();
    const budget = new LoginBudget(D724, time.now);
    await budget.attempt(refused, isRefused);
    budget.exhaust();
    assert.equal(budget.remaining(), 0);
    assert.equal(await budget.attempt(refused, isRefused), undefined);
    time.advance(30_000);
    assert.equal(budget.remaining(), 3, "until the window has passed");
  });
});

describe("LoginBudgets", () => {
  it("keeps one budget per camera", async () => {
    const budgets = new LoginBudgets(D724, clock().now);
    const a = budgets.forCamera("cam-a");
    assert.equal(budgets.forCamera("cam-a"), a);
    for (let i = 0; i < 3; i++) await a.attempt(refused, isRefused);
    assert.equal(budgets.forCamera("cam-a").remaining(), 0);
    assert.equal(budgets.forCamera("cam-b").remaining(), 3, "another camera has its own");
  });
});
