/**
 * The largest retainers in a V8 heap snapshot (.heapsnapshot, as `--heapsnapshot-signal` writes
 * it): each object's retained size from the dominator tree (what would be freed with it), the
 * way Chrome DevTools computes it, so a bench can say where the bridge's memory above the library
 * floor is held. Weak edges do not retain. Runs in the bench process, never in the bridge.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Retainer {
  /** Constructor or node name, with the property that holds it in its dominator ("MqttBridge.hosts -> Map"). */
  label: string;
  retainedBytes: number;
  selfBytes: number;
  /** The largest things it holds: property (or element) and what is there. */
  parts: { label: string; retainedBytes: number }[];
}

const PARTS = 3;

/** The objects whose retained size is largest, largest first, leaving out one that is most (80 %+) of a larger one listed. */
export function largestRetainers(path: string, count: number): { totalBytes: number; top: Retainer[] } {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const NF = nf.length;
  const EF = ef.length;
  const [typeF, nameF, sizeF, edgeCountF] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eTypeF, eNameF, eToF] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const WEAK = edgeTypes.indexOf('weak');
  const SHORTCUT = edgeTypes.indexOf('shortcut');
  const n = s.nodes.length / NF;

  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += s.nodes[i * NF + edgeCountF]! * EF;
    firstEdge[i + 1] = e;
  }
  const retains = (e: number) => s.edges[e + eTypeF] !== WEAK && s.edges[e + eTypeF] !== SHORTCUT;

  // Post-order from the root (node 0), iteratively: the heap is too deep for recursion.
  const post = new Int32Array(n).fill(-1);
  const order: number[] = [];
  const stack: number[] = [0];
  const nextEdge = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  nextEdge[0] = firstEdge[0]!;
  while (stack.length > 0) {
    const v = stack[stack.length - 1]!;
    let pushed = false;
    while (nextEdge[v]! < firstEdge[v + 1]!) {
      const e = nextEdge[v]!;
      nextEdge[v] = e + EF;
      if (!retains(e)) continue;
      const w = s.edges[e + eToF]! / NF;
      if (seen[w]) continue;
      seen[w] = 1;
      nextEdge[w] = firstEdge[w]!;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      post[v] = order.length;
      order.push(v);
      stack.pop();
    }
  }

  // Predecessors of reachable nodes (retaining edges only).
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (retains(e)) predCount[s.edges[e + eToF]! / NF]!++;
  }
  const predStart = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
  const preds = new Uint32Array(predStart[n]!);
  const fill = predStart.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (retains(e)) preds[fill[s.edges[e + eToF]! / NF]!++] = v;
  }

  // Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm" (2001): iterate to a fixed point.
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = order.length - 2; i >= 0; i--) {
      const v = order[i]!;
      let d = -1;
      for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
        const u = preds[p]!;
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }

  const retained = new Float64Array(n);
  for (const v of order) retained[v] = retained[v]! + s.nodes[v * NF + sizeF]!;
  for (const v of order) if (v !== 0) retained[idom[v]!] = retained[idom[v]!]! + retained[v]!;

  const nodeName = (v: number) => {
    const type = nodeTypes[s.nodes[v * NF + typeF]!] ?? '?';
    const name = s.strings[s.nodes[v * NF + nameF]!] ?? '';
    return type === 'object' || type === 'native' || type === 'closure' ? name || type : `(${type})`;
  };
  const edgeTo = (from: number, to: number) => {
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e += EF) {
      if (s.edges[e + eToF]! / NF !== to) continue;
      const kind = edgeTypes[s.edges[e + eTypeF]!];
      const nameOrIndex = s.edges[e + eNameF]!;
      return kind === 'element' || kind === 'hidden' ? `[${nameOrIndex}]` : (s.strings[nameOrIndex] ?? '?');
    }
    return '(indirectly)';
  };
  const synthetic = (v: number) => nodeTypes[s.nodes[v * NF + typeF]!] === 'synthetic';
  const candidates = order.filter((v) => v !== 0 && !synthetic(v)).sort((a, b) => retained[b]! - retained[a]!);
  const top: Retainer[] = [];
  const listed = new Set<number>();
  // An object that is most of one already listed is the same memory seen from inside: skip it.
  const insideListed = (v: number) => {
    for (let u = idom[v]!; u !== 0; u = idom[u]!) if (listed.has(u)) return retained[v]! >= 0.8 * retained[u]!;
    return false;
  };
  for (const v of candidates) {
    if (top.length === count) break;
    if (insideListed(v)) continue;
    listed.add(v);
    const holder = idom[v]!;
    const via = holder === 0 || synthetic(holder) ? nodeName(v) : `${nodeName(holder)}.${edgeTo(holder, v)} -> ${nodeName(v)}`;
    top.push({ label: via, retainedBytes: retained[v]!, selfBytes: s.nodes[v * NF + sizeF]!, parts: [] });
  }
  // What each listed object holds, by the edges to the objects it dominates.
  const index = new Map([...listed].map((v, i) => [v, i]));
  const parts: [number, number][][] = top.map(() => []);
  for (const v of order) {
    const i = index.get(idom[v]!);
    if (i !== undefined && v !== 0) parts[i]!.push([v, retained[v]!]);
  }
  [...listed].forEach((u, i) => {
    top[i]!.parts = parts[i]!.sort((a, b) => b[1] - a[1])
      .slice(0, PARTS)
      .map(([v, bytes]) => ({ label: `${edgeTo(u, v)}: ${nodeName(v)}`, retainedBytes: bytes }));
  });
  return { totalBytes: retained[0]!, top };
}
