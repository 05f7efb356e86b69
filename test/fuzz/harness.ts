import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";

/** Committed inputs that once broke a parser (or came close), replayed before the random ones. */
interface Corpus<T> {
  target: string;
  cases: { input: T; note: string }[];
}

// The sources' corpus, not a copy in dist: a crasher found here is written back for committing.
const CORPUS_DIR = fileURLToPath(new URL("../../../test/fuzz/corpus/", import.meta.url));

async function loadCorpus<T>(target: string): Promise<Corpus<T>> {
  const text = await readFile(`${CORPUS_DIR}${target}.json`, "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as Corpus<T>) : { target, cases: [] };
}

export interface FuzzOptions {
  /** Fixed per target, so CI runs the same cases each time; FUZZ_SEED overrides it to explore. */
  seed: number;
  numRuns: number;
}

/**
 * Runs `check` on every corpus case, then on `numRuns` generated inputs. `check` throws (an
 * assertion) when the parser misbehaves: threw an untyped error, broke a bound, returned garbage.
 * With FUZZ_RECORD=1 a counterexample is appended to the corpus before the failure is reported.
 */
export async function fuzz<T>(
  target: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => void,
  options: FuzzOptions,
): Promise<{ corpus: number; runs: number }> {
  const corpus = await loadCorpus<T>(target);
  for (const entry of corpus.cases) {
    try {
      check(entry.input);
    } catch (error) {
      throw new Error(`corpus case "${entry.note}" of ${target} fails again`, { cause: error });
    }
  }
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : options.seed;
  const numRuns = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : options.numRuns;
  const details = fc.check(fc.property(arbitrary, check), { seed, numRuns });
  if (details.failed && details.counterexample) {
    const [input] = details.counterexample;
    if (process.env.FUZZ_RECORD === "1") {
      corpus.cases.push({
        input,
        note: `found with seed ${seed}: ${String(details.errorInstance)}`.slice(0, 200),
      });
      await writeFile(`${CORPUS_DIR}${target}.json`, `${JSON.stringify(corpus, null, 2)}\n`);
    }
    throw new Error(
      `${target}: counterexample after ${details.numRuns} runs (seed ${seed}, path ${details.counterexamplePath}): ` +
        `${String(JSON.stringify(input)).slice(0, 500)}`,
      { cause: details.errorInstance },
    );
  }
  return { corpus: corpus.cases.length, runs: details.numRuns };
}

/** Asserts that `error` is an instance of one of the typed errors a parser may throw. */
export function expectTyped(error: unknown, ...types: (new (...args: never[]) => Error)[]): void {
  if (types.some((type) => error instanceof type)) return;
  throw new Error(`untyped error: ${String(error)}`, { cause: error });
}

const XML_NOISE = [
  "<",
  ">",
  "</",
  "/>",
  "&",
  "&amp;",
  "&#0;",
  "&#x110000;",
  '"',
  "'",
  ":",
  "xmlns:",
  'xmlns=""',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  "<![CDATA[",
  "]]>",
  '<?xml version="1.0"?>',
  "\u0000",
  "\uFFFE",
  "\uD800",
  "<a:b>",
  "<x>".repeat(80),
  "</x>",
  "=",
  " ",
  "\r\n",
];

/**
 * Real input with a few edits: ranges deleted, duplicated, or replaced by noise that tends to
 * break parsers. Keeps most of the structure, so the generated cases get deep into the parser.
 */
export function mutated(
  seeds: readonly string[],
  noise: readonly string[] = XML_NOISE,
): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.nat({ max: 64 }),
    kind: fc.constantFrom("delete", "duplicate", "insert", "replace"),
    insert: fc.oneof(fc.constantFrom(...noise), fc.string({ maxLength: 16, unit: "binary" })),
  });
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 }))
    .map(([seed, edits]) =>
      edits.reduce((text, e) => {
        const at = Math.floor(e.at * text.length);
        const range = text.slice(at, at + e.length);
        switch (e.kind) {
          case "delete":
            return text.slice(0, at) + text.slice(at + e.length);
          case "duplicate":
            return text.slice(0, at) + range + range + text.slice(at + e.length);
          case "insert":
            return text.slice(0, at) + e.insert + text.slice(at);
          default:
            return text.slice(0, at) + e.insert + text.slice(at + e.length);
        }
      }, seed),
    );
}

export interface Cost {
  /** The fastest of a few runs: noise on a shared machine only ever adds time. */
  ms: number;
  /** Heap still held after a full collection while the result is alive (a deterministic proxy). */
  retainedBytes: number;
  /** `run` returned nothing: the input was refused. */
  refused: boolean;
}

let collectGarbage: (() => void) | undefined;

function fullGc(): void {
  if (!collectGarbage) {
    setFlagsFromString("--expose-gc");
    collectGarbage = runInNewContext("gc") as () => void;
  }
  collectGarbage();
}

function retainedBy<T>(run: (input: T) => unknown, input: T): Omit<Cost, "ms"> {
  fullGc();
  const before = process.memoryUsage().heapUsed;
  const result = run(input);
  fullGc();
  // `result` is still alive here (it is read below), so the collection could not free it.
  const retainedBytes = Math.max(0, process.memoryUsage().heapUsed - before);
  return { retainedBytes, refused: result === undefined };
}

/**
 * What `run` costs on each of `inputs`: the best time of `runs` after a warm-up run, and the
 * heap its result retains. The inputs take turns, so a burst of load on the machine slows all
 * of them alike. `run` returns its result (or undefined when it refused the input).
 */
export function measureCosts<T>(
  run: (input: T) => unknown,
  inputs: readonly T[],
  runs = 3,
): Cost[] {
  for (const input of inputs) run(input);
  const best = inputs.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i++) {
    inputs.forEach((input, index) => {
      const started = performance.now();
      run(input);
      best[index] = Math.min(best[index] ?? Number.POSITIVE_INFINITY, performance.now() - started);
    });
  }
  return inputs.map((input, index) => ({
    ms: best[index] ?? Number.POSITIVE_INFINITY,
    ...retainedBy(run, input),
  }));
}
