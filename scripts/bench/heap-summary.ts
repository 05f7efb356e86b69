import { readFile } from "node:fs/promises";

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
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
