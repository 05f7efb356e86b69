import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatDateTime,
  formatDateTimeZone,
  formatLongDate,
  isTimeZone,
  parseLocalTime,
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

  it("reads what a technician types in the site's zone; explicit offsets and now as they are", () => {
    const now = Date.parse("2026-12-02T18:30:00Z"); // 01:30 on 3 December in Hanoi
    const zone = "Asia/Ho_Chi_Minh";
    assert.equal(parseLocalTime("16:08", zone, now), Date.parse("2026-12-03T09:08:00Z"));
    assert.equal(parseLocalTime("2026-12-03 16:08", zone, now), Date.parse("2026-12-03T09:08:00Z"));
    assert.equal(
      parseLocalTime("2026-12-03T16:08:30", zone, now),
      Date.parse("2026-12-03T09:08:30Z"),
    );
    assert.equal(parseLocalTime("2026-12-03", zone, now), Date.parse("2026-12-02T17:00:00Z"));
    assert.equal(
      parseLocalTime("2026-12-03T16:08:00+00:00", zone, now),
      Date.parse("2026-12-03T16:08:00Z"),
    );
    assert.equal(
      parseLocalTime("2026-12-03T16:08:00Z", zone, now),
      Date.parse("2026-12-03T16:08:00Z"),
    );
    assert.equal(parseLocalTime("now", zone, now), now);
    // Summer time in Berlin: the offset in force on that day (+02:00), not today's.
    assert.equal(
      parseLocalTime("2026-07-01 12:00", "Europe/Berlin", now),
      Date.parse("2026-07-01T10:00:00Z"),
    );
    for (const bad of ["yesterday", "25:00", "2026-13-01", "16.08", ""])
      assert.equal(parseLocalTime(bad, zone, now), undefined, bad);
  });
});
