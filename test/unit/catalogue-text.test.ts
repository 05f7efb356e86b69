import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTROLS } from "../../src/audit/catalogue.js";
import { CONTROL_TEXT } from "../../src/audit/catalogue-text.js";
import { HTML_WORDS, INTERPRETATION } from "../../src/audit/report/html-words.js";
import {
  FAMILY_TITLE,
  SEVERITY_LABEL,
  STATUS_LABEL,
  STATUS_MEANING,
} from "../../src/audit/report/words.js";

/** Letters only Vietnamese writes: a text without any of them has lost its diacritics. */
const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/i;

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "function") return strings((value as (...n: number[]) => string)(1, 2, 3));
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

describe("what site owners read about each control", () => {
  it("has every control in both languages, and nothing else", () => {
    assert.deepEqual(
      Object.keys(CONTROL_TEXT).sort(),
      CONTROLS.map((control) => control.id).sort(),
    );
  });

  it("says the good state, the problem and the fix, each different, in real Vietnamese", () => {
    for (const [id, texts] of Object.entries(CONTROL_TEXT)) {
      for (const text of [texts.en, texts.vi]) {
        assert.notEqual(text.ok, text.problem, id);
        assert.ok(text.fix.length > 10 && text.fix.endsWith("."), `${id}: ${text.fix}`);
      }
      for (const key of ["ok", "problem", "fix"] as const) {
        assert.match(texts.vi[key], VIETNAMESE, `${id}.vi.${key}: ${texts.vi[key]}`);
        assert.notEqual(texts.vi[key], texts.en[key], `${id}.${key} is translated`);
        assert.doesNotMatch(texts.en[key], VIETNAMESE, `${id}.en.${key}`);
      }
    }
  });

  it("writes all Vietnamese in composed (NFC) form, so terminals align it and search finds it", () => {
    const all = strings([
      CONTROL_TEXT,
      STATUS_LABEL,
      STATUS_MEANING,
      SEVERITY_LABEL,
      FAMILY_TITLE,
      HTML_WORDS,
      INTERPRETATION,
    ]);
    assert.ok(all.length > 300);
    for (const text of all) assert.equal(text, text.normalize("NFC"), text);
    for (const text of strings([STATUS_LABEL.vi, STATUS_MEANING.vi, HTML_WORDS.vi.verdicts]))
      assert.match(text, VIETNAMESE, text);
  });
});
