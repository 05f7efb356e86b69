import { readFile } from "node:fs/promises";

interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapLine {
  what: string;
  count: number;
  mib: number;
}

/**
 * What a V8 heap snapshot holds, by node type and, for objects, constructor name: the self
 * sizes added up, largest first (where the JavaScript heap goes, not what retains it).
 */
export async function summariseHeap(path: string, top = 15): Promise<HeapLine[]> {
  const heap = JSON.parse(await readFile(path, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let offset = 0; offset < heap.nodes.length; offset += width) {
    const type = types[heap.nodes[offset + typeAt] ?? 0] ?? "?";
    const name = heap.strings[heap.nodes[offset + nameAt] ?? 0] ?? "?";
    const what = type === "object" || type === "native" ? `${type} ${name}` : type;
    const entry = totals.get(what) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[offset + sizeAt] ?? 0;
    totals.set(what, entry);
  }
  return [...totals.entries()]
    .map(([what, { count, bytes }]) => ({ what, count, mib: bytes / 2 ** 20 }))
    .sort((a, b) => b.mib - a.mib)
    .slice(0, top);
}

/**
 * Who holds the objects named `target` (e.g. "Buffer"): the retaining objects' constructor and
 * the edge's name, counted, most first. Where a heap summary shows many of one kind, this says
 * which structure keeps them.
 */
export async function retainersOf(path: string, target: string, top = 12): Promise<HeapLine[]> {
  const heap = JSON.parse(await readFile(path, "utf8")) as HeapSnapshot;
  const { meta } = heap.snapshot;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const nameAt = meta.node_fields.indexOf("name");
  const edgeCountAt = meta.node_fields.indexOf("edge_count");
  const edgeTypeAt = meta.edge_fields.indexOf("type");
  const edgeNameAt = meta.edge_fields.indexOf("name_or_index");
  const toAt = meta.edge_fields.indexOf("to_node");
  const edgeTypes = meta.edge_types[0];
  const nameOf = (node: number) => heap.strings[heap.nodes[node + nameAt] ?? 0] ?? "?";
  const counts = new Map<string, number>();
  let edge = 0;
  for (let node = 0; node < heap.nodes.length; node += width) {
    const edges = heap.nodes[node + edgeCountAt] ?? 0;
    for (let i = 0; i < edges; i++, edge += edgeWidth) {
      const to = heap.edges[edge + toAt] ?? 0;
      if (nameOf(to) !== target) continue;
      const type = edgeTypes[heap.edges[edge + edgeTypeAt] ?? 0] ?? "?";
      if (type === "weak") continue;
      const label = heap.edges[edge + edgeNameAt] ?? 0;
      const edgeName = type === "element" || type === "hidden" ? `[${type}]` : heap.strings[label];
      const key = `${nameOf(node)}.${edgeName ?? "?"}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .map(([what, count]) => ({ what, count, mib: 0 }))
    .sort((a, b) => b.count - a.count)
    .slice(0, top);
}

interface CpuProfile {
  nodes: {
    id: number;
    hitCount?: number;
    children?: number[];
    callFrame: { functionName: string; url: string };
  }[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/**
 * Where a V8 CPU profile's samples fell, by function and file, most first: self time, or with
 * `inclusive` the time under each function (its callees included, counted once per stack).
 */
export async function summariseCpu(path: string, top = 20, inclusive = false): Promise<HeapLine[]> {
  const profile = JSON.parse(await readFile(path, "utf8")) as CpuProfile;
  const perSampleMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const nameOf = (node: CpuProfile["nodes"][number]) => {
    const { functionName, url } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules\/[^/]+|dist\/src\/[^/]+)\//, "$1/");
    return `${functionName || "(anonymous)"} ${file.split("/").slice(-2).join("/")}`;
  };
  const totals = new Map<string, number>();
  const visit = (id: number, above: ReadonlySet<string>): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const what = nameOf(node);
    const inner = new Set(above).add(what);
    let hits = node.hitCount ?? 0;
    for (const childId of node.children ?? []) hits += visit(childId, inner);
    const counted = inclusive ? hits : (node.hitCount ?? 0);
    if (!inclusive || !above.has(what)) totals.set(what, (totals.get(what) ?? 0) + counted);
    return hits;
  };
  const root = profile.nodes[0];
  if (root) visit(root.id, new Set());
  return [...totals.entries()]
    .map(([what, hits]) => ({ what, count: hits, mib: (hits * perSampleMs) / 1000 }))
    .sort((a, b) => b.count - a.count)
    .slice(0, top);
}
