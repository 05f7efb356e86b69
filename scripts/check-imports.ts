/**
 * The import rules CI holds the code to, over the compiled graph (dist/src: what Node loads at
 * run time, type-only imports gone). Prints each broken rule and exits 1.
 *
 *   node dist/scripts/check-imports.js [dist/src]
 *
 * dependency-cruiser would do this, but its current line does not run on Node 20; the graph of
 * relative ESM imports is small enough to read with TypeScript's own pre-processor.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export type ImportGraph = Map<string, string[]>;

/** Every module under `root` and what it imports: project files by path, packages by name. */
export function readGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((file) =>
    file.endsWith(".js"),
  );
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const imports = ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) =>
      fileName.startsWith(".")
        ? relative(root, resolve(root, dirname(file), fileName))
            .split("\\")
            .join("/")
        : packageName(fileName),
    );
    graph.set(file.split("\\").join("/"), imports);
  }
  return graph;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** The import circles, each as the modules on it (Tarjan's strongly connected components). */
export function circles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Everything `start` loads, directly or through other modules. */
export function reachable(graph: ImportGraph, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) {
    if (seen.has(node)) continue;
    seen.add(node);
    queue.push(...(graph.get(node) ?? []));
  }
  return seen;
}

const AGENT_FOLDERS =
  /^(access|audit|cli|commands|config|demo|discovery|events|health|live|onvif|provision|recorder|retention|rtsp-relay|sim|store|uplink)\/|^agent[^/]*\.js$/;

/** The rules; each broken one is a line of the result. */
export function importProblems(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const circle of circles(graph))
    problems.push(`import circle: ${[...circle].reverse().join(" -> ")}`);
  const center = reachable(graph, "center/index.js");
  for (const module of center) {
    if (AGENT_FOLDERS.test(module) || module === "better-sqlite3")
      problems.push(`the center's entry loads ${module}`);
  }
  for (const [module, imports] of graph) {
    if (module.startsWith("protocol/")) {
      for (const target of imports) {
        if (graph.has(target) && !target.startsWith("protocol/"))
          problems.push(`the wire contract imports the project: ${module} -> ${target}`);
      }
    }
    // The center is another program (a vendor's, in the field); the broker check is a one-off
    // connection made while provisioning, before the agent and its session exist.
    const mayUseMqtt =
      module === "uplink/session.js" ||
      module === "uplink/broker-check.js" ||
      module.startsWith("center/");
    if (!mayUseMqtt && imports.includes("mqtt"))
      problems.push(`only the uplink session talks to mqtt.js, not ${module}`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src");
  const graph = readGraph(root);
  const problems = importProblems(graph);
  for (const problem of problems) console.error(problem);
  console.log(
    `${graph.size} modules checked: ${problems.length === 0 ? "ok" : `${problems.length} problems`}`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}
