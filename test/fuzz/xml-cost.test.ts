import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_XML_LIMITS, parseXml, XmlError, type XmlLimits } from "../../src/onvif/index.js";
import { type Cost, expectTyped, measureCosts } from "./harness.js";

/** Knobs of one adversarial document, drawn by fast-check so each run builds a different one. */
interface Shape {
  prefix: number;
  uri: number;
  attributes: number;
  depth: number;
}

/** Repeats `unit(i)` until the document is about `size` bytes (all ASCII: bytes = characters). */
function fill(size: number, head: string, unit: (i: number) => string, tail: string): string {
  const parts = [head];
  let length = head.length + tail.length;
  for (let i = 0; length < size; i++) {
    const part = unit(i);
    parts.push(part);
    length += part.length;
  }
  parts.push(tail);
  return parts.join("");
}

const pad = (text: string, length: number) => text.padEnd(length, "x");
const prefix = (s: Shape, i: number) => pad(`n${i}`, s.prefix);
const declare = (s: Shape, i: number) => ` xmlns:${prefix(s, i)}="${pad(`urn:x:${i}:`, s.uri)}"`;
const attrs = (s: Shape, from: number) =>
  Array.from({ length: s.attributes }, (_, j) => ` a${from + j}="v"`).join("");

/** Documents that once cost (or could cost) more than linear time or memory. */
const FAMILIES: Record<string, (size: number, s: Shape) => string> = {
  "namespace bomb on one element": (size, s) => fill(size, "<r", (i) => declare(s, i), "/>"),
  // The reply that ran the old parser out of heap: every element copied the bindings in scope.
  "namespace bomb on the root, a declaration on every element": (size, s) => {
    const root = fill(size / 2, "<r", (i) => declare(s, i), ">");
    return fill(size, root, (i) => `<e${declare(s, i)}><${prefix(s, i)}:c/></e>`, "</r>");
  },
  "many bindings in scope, used deep down": (size, s) => {
    const levels = Math.min(s.depth, DEFAULT_XML_LIMITS.maxDepth - 2);
    const roots = Array.from({ length: 200 }, (_, i) => declare(s, i)).join("");
    const open = Array.from({ length: levels }, (_, i) => `<d${declare(s, 1000 + i)}>`).join("");
    const close = "</d>".repeat(levels);
    return fill(size, `<r${roots}>${open}`, (i) => `<${prefix(s, i % 200)}:e/>`, `${close}</r>`);
  },
  "attribute bomb on one element": (size, s) =>
    fill(size, "<r", (i) => ` a${i}="${pad("", s.uri)}"`, "/>"),
  "many attributes on every element": (size, s) =>
    fill(size, "<r>", (i) => `<e${attrs(s, i)}/>`, "</r>"),
  "deep nesting": (size) => fill(size, "", () => "<a>", ""),
  "wide tree": (size, s) => fill(size, "<r>", () => `<${pad("e", s.prefix)}/>`, "</r>"),
  "long text": (size) => fill(size, "<r>", () => "text ".repeat(20), "</r>"),
  "text in many pieces": (size) =>
    fill(size, "<r>", (i) => (i % 2 ? "&amp;&#x41;" : "<![CDATA[<x>]]>"), "</r>"),
  "long attribute value": (size) => fill(size, '<r a="', () => "value ".repeat(20), '"/>'),
  "long element name": (size) => fill(size, "<r", () => "n".repeat(100), "/>"),
  "undeclared prefixes (lenient)": (size, s) =>
    fill(size, "<r>", (i) => `<${prefix(s, i)}:e/>`, "</r>"),
};

const BASE = 12 * 1024;
/** Sizes 1, 8 and 64 times the base; the largest stays under the 1 MiB document cap. */
const SIZES = [BASE, 8 * BASE, 64 * BASE];
/**
 * Cost per byte at 64 times the size may be at most this many times the cost per byte at the base
 * size: a quadratic parser shows 64 here, a linear one about 1 (less, as fixed costs spread out).
 * Generous, because the machine is shared and noisy: a timer on it can be off several times over.
 */
const GROWTH = 16;
/** Absolute allowance for inputs refused within their first bytes (their cost is noise). */
const SLACK_MS = 20;
const SLACK_BYTES = 2 * 1024 * 1024;

function parse(text: string, limits: XmlLimits) {
  try {
    return parseXml(text, limits);
  } catch (error) {
    expectTyped(error, XmlError);
    return undefined;
  }
}

function describeCost(sizes: readonly number[], costs: readonly Cost[]): string {
  return costs
    .map((c, i) => {
      const kib = (sizes[i] ?? 0) / 1024;
      const nsPerByte = (c.ms * 1e6) / (sizes[i] ?? 1);
      return `${kib.toFixed(0)} KiB: ${c.ms.toFixed(2)} ms (${nsPerByte.toFixed(0)} ns/B), ${c.refused ? "refused" : `retains ${(c.retainedBytes / 1024).toFixed(0)} KiB`}`;
    })
    .join("; ");
}

describe("fuzzing: the cost of parsing XML grows linearly with its size", () => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0xc057;
  const shapes = fc.sample(
    fc.record({
      prefix: fc.integer({ min: 1, max: 12 }),
      uri: fc.integer({ min: 8, max: 96 }),
      attributes: fc.integer({ min: 4, max: 200 }),
      depth: fc.integer({ min: 1, max: 64 }),
    }),
    { seed, numRuns: Object.keys(FAMILIES).length },
  );

  Object.entries(FAMILIES).forEach(([family, build], index) => {
    it(`${family}: cost per byte at 64x the size within ${GROWTH}x of the base size's`, (t) => {
      const shape = shapes[index] as Shape;
      const limits = { ...DEFAULT_XML_LIMITS, lenientPrefixes: family.includes("lenient") };
      const inputs = SIZES.map((size) => build(size, shape));
      const costs = measureCosts((text: string) => parse(text, limits), inputs);
      const sizes = inputs.map((input) => input.length);
      t.diagnostic(`${JSON.stringify(shape)} ${describeCost(sizes, costs)}`);
      const [small, , large] = costs as [Cost, Cost, Cost];
      const ratio = (sizes[2] ?? 0) / (sizes[0] ?? 1);
      assert.ok(
        large.ms <= GROWTH * ratio * small.ms + SLACK_MS,
        `time grows faster than the input: ${describeCost(sizes, costs)}`,
      );
      // A refused input leaves nothing behind: what the heap shows after it is the compiler's and
      // the collector's (on Node.js 24, over 2 MiB after a refusal, with nothing alive).
      if (!large.refused)
        assert.ok(
          large.retainedBytes <= GROWTH * ratio * small.retainedBytes + SLACK_BYTES,
          `memory grows faster than the input: ${describeCost(sizes, costs)}`,
        );
    });
  });
});
