import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { D724_LOCKOUT, LoginLockout } from "../../src/sim/index.js";

describe("the simulated camera's lockout", () => {
  it("locks after 5 failures within 30 s, refuses the right password while locked, then lets it in", () => {
    const lockout = new LoginLockout(D724_LOCKOUT);
    for (let i = 0; i < 4; i++) assert.equal(lockout.judge(false, true, i * 1000), false);
    assert.equal(lockout.judge(true, true, 4500), true, "4 failures: not locked");
    assert.equal(lockout.judge(false, true, 5000), false);
    assert.equal(lockout.isLocked(5000), true);
    assert.equal(lockout.judge(true, true, 6000), false, "the right password is refused");
    assert.deepEqual(lockout.locks(), [{ fromMs: 5000, untilMs: 5000 + 300_000 }]);
    assert.equal(lockout.judge(true, true, 305_000), true, "the lock ends after 5 minutes");
    assert.deepEqual(lockout.failures(), [0, 1000, 2000, 3000, 5000, 6000]);
  });

  it("failures spread wider than the window do not lock", () => {
    const lockout = new LoginLockout(D724_LOCKOUT);
    for (let i = 0; i < 20; i++) lockout.judge(false, true, i * 7_600);
    assert.deepEqual(lockout.locks(), []);
    assert.equal(lockout.failures().length, 20);
  });

  it("a request without credentials is no failed login", () => {
    const lockout = new LoginLockout(D724_LOCKOUT);
    for (let i = 0; i < 10; i++) assert.equal(lockout.judge(false, false, i), false);
    assert.deepEqual(lockout.failures(), []);
  });

  it("without a policy it only counts", () => {
    const lockout = new LoginLockout(undefined);
    for (let i = 0; i < 10; i++) lockout.judge(false, true, i);
    assert.equal(lockout.judge(true, true, 11), true);
    assert.equal(lockout.failures().length, 10);
    assert.deepEqual(lockout.locks(), []);
  });
});
