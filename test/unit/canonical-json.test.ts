import assert from "node:assert/strict";
import { describe, it } from "node:test";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { CanonicalJsonError, canonicalJson } from "../../src/protocol/canonical-json.js";

/** IEEE 754 doubles given by their bits, as RFC 8785 Appendix B lists them. */
const fromBits = (hex: string) => Buffer.from(hex, "hex").readDoubleBE(0);

describe("canonical JSON is RFC 8785 (JCS)", () => {
  it("serializes the RFC's own example (3.2.2) byte for byte", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    assert.equal(
      canonicalJson(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts member names by UTF-16 code units (3.2.3), not by code points", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const names = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // Object.keys puts "1" first (an array index); the serialized order is what counts.
    assert.match(
      canonicalJson(input),
      /^\{"\\r":.*"1":.*"\u0080":.*"\u00f6":.*"\u20ac":.*"\ud83d\ude00":.*"\ufb33":/u,
    );
    assert.equal(names.length, 7);
  });

  it("prints numbers as ECMAScript does (Appendix B)", () => {
    const cases: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["433fffffffffffff", "9007199254740991"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [bits, text] of cases) assert.equal(canonicalJson(fromBits(bits)), text, bits);
  });

  it("keeps Vietnamese text as UTF-8 and escapes only quotes, backslashes and controls", () => {
    const request = {
      purpose: 'Điều tra vụ việc số 17 — phường Ba Đình, "khẩn"\n\ttừ 08:00',
      requester: "cán bộ Nguyễn Thị Hằng",
      detail: { ghiChú: "ổ cứng đầy\u0001\u001f\u007f\u2028", "tên camera": "Cổng chính" },
    };
    const text = canonicalJson(request);
    assert.equal(
      text,
      '{"detail":{"ghiChú":"ổ cứng đầy\\u0001\\u001f\u007f\u2028","tên camera":"Cổng chính"},' +
        '"purpose":"Điều tra vụ việc số 17 — phường Ba Đình, \\"khẩn\\"\\n\\ttừ 08:00",' +
        '"requester":"cán bộ Nguyễn Thị Hằng"}',
    );
    assert.ok(!text.includes("\\u1"), "no \\u escapes of letters, as Python's json.dumps makes");
    assert.equal(text, canonicalize(request));
  });

  it("equals the RFC authors' implementation on any JSON value, nested and unicode", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme", maxDepth: 5 }), (value) => {
        assert.equal(canonicalJson(value), canonicalize(value));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        assert.equal(canonicalJson({ n: value }), canonicalize({ n: value }));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads values as JSON.stringify does, and refuses what JCS cannot express", () => {
    assert.equal(
      canonicalJson({ b: undefined, a: [undefined, () => 1], d: new Date(0), n: NaN }),
      '{"a":[null,null],"d":"1970-01-01T00:00:00.000Z","n":null}',
    );
    assert.throws(() => canonicalJson({ s: "\ud800" }), CanonicalJsonError);
    assert.throws(() => canonicalJson({ ["\udc00"]: 1 }), CanonicalJsonError);
    assert.throws(() => canonicalJson({ big: 1n }), CanonicalJsonError);
    assert.throws(() => canonicalJson(undefined), CanonicalJsonError);
  });
});
