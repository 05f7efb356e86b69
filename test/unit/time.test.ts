import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatDateTime,
  formatDateTimeZone,
  formatLongDate,
  isTimeZone,
  utcOffset,
} from "../../src/i18n/index.js";

const HCM = "Asia/Ho_Chi_Minh";

describe("times shown in the site's zone", () => {
  it("shows a UTC instant as the site's wall-clock time, fixed width, 00-23 hours", () => {
    assert.equal(formatDateTime("2026-12-02T18:21:53Z", HCM), "2026-12-03 01:21:53");
    assert.equal(formatDateTime("2026-12-02T17:00:00.000Z", HCM), "2026-12-03 00:00:00");
    assert.equal(formatDateTime(new Date("2026-01-05T03:04:05Z"), "UTC"), "2026-01-05 03:04:05");
    assert.equal(formatDateTimeZone("2026-12-02T18:21:53Z", HCM), "2026-12-03 01:21 (UTC+07:00)");
  });

  it("gives the offset in force at that instant, including half hours and summer time", () => {
    assert.equal(utcOffset("2026-12-02T18:00:00Z", HCM), "+07:00");
    assert.equal(utcOffset("2026-12-02T18:00:00Z", "Asia/Kolkata"), "+05:30");
    assert.equal(utcOffset("2026-07-01T12:00:00Z", "America/New_York"), "-04:00");
    assert.equal(utcOffset("2026-01-15T12:00:00Z", "America/New_York"), "-05:00");
    assert.equal(utcOffset("2026-01-15T12:00:00.999Z", "UTC"), "+00:00");
  });

  it("writes a long date in Vietnamese or English", () => {
    assert.equal(formatLongDate("2026-12-02T18:21:53Z", HCM, "vi"), "Thứ Năm, 3 tháng 12, 2026");
    assert.equal(formatLongDate("2026-12-02T18:21:53Z", HCM, "en"), "Thursday, 3 December 2026");
    assert.equal(formatLongDate("2026-12-02T18:21:53Z", "UTC", "en"), "Wednesday, 2 December 2026");
  });

  it("knows IANA zone names and refuses what is not a time", () => {
    assert.ok(isTimeZone(HCM));
    assert.ok(isTimeZone("UTC"));
    assert.ok(!isTimeZone("Asia/Hanoi-Central"));
    assert.ok(!isTimeZone(""));
    assert.throws(() => formatDateTime("yesterday", HCM), RangeError);
  });
});
