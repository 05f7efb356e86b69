import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatBytes, parseDuration, parseSize } from "../../src/config/index.js";

describe("sizes", () => {
  it("reads binary and decimal units and plain bytes", () => {
    assert.equal(parseSize("64GiB"), 64 * 2 ** 30);
    assert.equal(parseSize("512 MiB"), 512 * 2 ** 20);
    assert.equal(parseSize("1.5KiB"), 1536);
    assert.equal(parseSize("2GB"), 2e9);
    assert.equal(parseSize("1024"), 1024);
    assert.equal(parseSize("10b"), 10);
  });

  it("refuses what is not a size", () => {
    for (const bad of ["", "GiB", "12 parsecs", "-5MiB", "1e9", "5 MiB extra", "99999999999TiB"]) {
      assert.equal(parseSize(bad), undefined, bad);
    }
  });

  it("formats for people", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(64 * 2 ** 30), "64.0 GiB");
  });
});

describe("durations", () => {
  it("reads every unit into milliseconds", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("10s"), 10_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("2h"), 7_200_000);
    assert.equal(parseDuration("7d"), 604_800_000);
  });

  it("needs a unit", () => {
    for (const bad of ["10", "", "s", "10 seconds", "-1s", "3w"])
      assert.equal(parseDuration(bad), undefined, bad);
  });
});
