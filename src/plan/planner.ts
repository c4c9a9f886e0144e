// Static memory planning: tensor lifetimes over the execution order, then offsets in one arena.
//
// The plan is plain data (STYLE.md 11): for every activation tensor its offset, size and lifetime, plus a
// scratch block per node that needs one. The C emitter prints it as a comment table and uses the offsets;
// the fit check reads arenaSize. Nothing here knows about C.
//
// Model: node i executes at step i. A tensor produced by node p is live over [p, last reader]; graph inputs
// are live from step 0 (the run function copies them in first), graph outputs until the last step (copied
// out last). Two buffers may share bytes only when their live intervals are disjoint. Aliases (Reshape,
// Identity, element-wise ops writing into a dying input) merge tensors into one buffer.

import { dtypeSize, shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';

export const ARENA_ALIGN = 16;

export interface TensorPlacement {
  tensor: number;
  name: string;
  offset: number;
  /** Bytes the tensor occupies (unaligned). */
  size: number;
  firstUse: number;
  lastUse: number;
  /** Index of the buffer this tensor lives in (aliased tensors share one). */
  buffer: number;
  /** Set when this tensor shares its bytes with another tensor (the one it aliases). */
  aliasOf?: number;
}

export interface ScratchPlacement {
  node: number;
  offset: number;
  size: number;
}

export interface BufferPlacement {
  id: number;
  tensors: number[];
  offset: number;
  size: number;
  firstUse: number;
  lastUse: number;
  /** A kernel scratch block rather than a tensor. */
  scratchOf?: number;
}

export interface MemoryPlan {
  arenaSize: number;
  /** Largest sum of live buffer sizes at any step: no arena can be smaller. */
  lowerBound: number;
  alignment: number;
  tensors: Map<number, TensorPlacement>;
  scratch: Map<number, ScratchPlacement>;
  buffers: BufferPlacement[];
}

export interface PlanOptions {
  /** Scratch bytes a node's kernel needs (0 = none). */
  scratchBytes?: (nodeIndex: number) => number;
  /**
   * May output 0 of node i share its input 0's buffer (element-wise kernels that read element k before
   * writing it)? Reshape-like aliasing is decided by `alias` instead.
   */
  inPlace?: (nodeIndex: number) => boolean;
  /** Does output 0 of node i alias input 0 with no copy at all (Reshape, Identity, Squeeze)? */
  alias?: (nodeIndex: number) => boolean;
  alignment?: number;
}

/** One interval to place: the generic core the property tests exercise directly. */
export interface Interval {
  size: number;
  first: number;
  last: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Place items in the given order, each at the lowest (first fit) or the tightest (best fit) free aligned gap. */
function placeInOrder(items: readonly Interval[], order: readonly number[], alignment: number, bestFit: boolean): { offsets: number[]; arenaSize: number } {
  const offsets = new Array<number>(items.length).fill(0);
  const placed: number[] = [];
  let arena = 0;
  for (const i of order) {
    const it = items[i];
    const size = alignUp(it.size, alignment);
    // Occupied ranges of live-overlapping placed buffers, sorted by offset.
    const busy = placed
      .filter((j) => items[j].first <= it.last && it.first <= items[j].last)
      .map((j) => [offsets[j], offsets[j] + alignUp(items[j].size, alignment)] as const)
      .sort((a, b) => a[0] - b[0]);
    let off = 0;
    let best = -1;
    let bestGap = Infinity;
    for (const [s, e] of busy) {
      if (off + size <= s) {
        if (!bestFit) break;
        // a gap [off, s) that fits: keep the tightest
        if (s - off < bestGap) {
          bestGap = s - off;
          best = off;
        }
      }
      if (e > off) off = alignUp(e, alignment);
    }
    if (bestFit && best >= 0) off = best;
    offsets[i] = off;
    placed.push(i);
    arena = Math.max(arena, off + size);
  }
  return { offsets, arenaSize: arena };
}

/**
 * Place intervals in one arena so that intervals live at the same step never share bytes. Several orders are
 * tried — largest first (ties: earliest start, then index), then orders by lifetime, by size × lifetime, by
 * start, by the bytes an interval conflicts with — each with first fit and best fit, followed by a short,
 * seeded local search over swaps in the best order; the smallest arena wins and the first heuristic keeps ties,
 * so the result is deterministic. The search stops early at the live lower bound (no arena can be smaller).
 */
export function placeIntervals(items: readonly Interval[], alignment = ARENA_ALIGN): { offsets: number[]; arenaSize: number } {
  const idx = items.map((_, i) => i).filter((i) => items[i].size > 0);
  const life = (i: number) => items[i].last - items[i].first + 1;
  const conflict = new Map<number, number>();
  for (const i of idx) {
    let c = 0;
    for (const j of idx) if (items[j].first <= items[i].last && items[i].first <= items[j].last) c += items[j].size;
    conflict.set(i, c);
  }
  const by = (f: (a: number, b: number) => number) => idx.slice().sort((a, b) => f(a, b) || items[b].size - items[a].size || items[a].first - items[b].first || a - b);
  const orders = [
    by(() => 0),
    by((a, b) => life(b) - life(a)),
    by((a, b) => items[b].size * life(b) - items[a].size * life(a)),
    by((a, b) => conflict.get(b)! - conflict.get(a)!),
    by((a, b) => items[a].first - items[b].first),
    by((a, b) => items[b].last - items[a].last),
  ];
  const floor = alignedLowerBound(items, alignment);
  let best = placeInOrder(items, orders[0], alignment, false);
  let bestOrder = orders[0];
  let bestFit = false;
  for (const o of orders)
    for (const fit of [false, true]) {
      if (best.arenaSize <= floor) return best;
      const r = placeInOrder(items, o, alignment, fit);
      if (r.arenaSize < best.arenaSize) [best, bestOrder, bestFit] = [r, o, fit];
    }
  // local search: swap two entries of the best order, keep the swap when the arena shrinks
  let seed = 0x9e3779b9;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const order = bestOrder.slice();
  const tries = order.length < 2 ? 0 : Math.min(400, Math.floor(2e6 / (order.length * order.length)));
  for (let t = 0; t < tries && best.arenaSize > floor; t++) {
    const a = rand(order.length);
    const b = rand(order.length);
    if (a === b) continue;
    [order[a], order[b]] = [order[b], order[a]];
    const r = placeInOrder(items, order, alignment, bestFit);
    if (r.arenaSize < best.arenaSize) best = r;
    else [order[a], order[b]] = [order[b], order[a]];
  }
  return best;
}

/** The live lower bound with every size rounded up to the alignment (what any aligned placement needs). */
function alignedLowerBound(items: readonly Interval[], alignment: number): number {
  return liveLowerBound(items.map((it) => ({ ...it, size: alignUp(it.size, alignment) })));
}

/** Largest sum of live sizes at any single step. */
export function liveLowerBound(items: readonly Interval[]): number {
  let steps = 0;
  for (const it of items) steps = Math.max(steps, it.last + 1);
  const sum = new Array<number>(steps + 1).fill(0);
  for (const it of items) for (let s = it.first; s <= it.last; s++) sum[s] += it.size;
  return Math.max(0, ...sum);
}

export function tensorBytes(g: Graph, id: number): number {
  const t = g.tensors[id];
  return shapeSize(t.shape.map((d) => (d < 0 ? 1 : d))) * dtypeSize(t.dtype);
}

/** Plan the activation memory of a graph (constants are not planned: they stay in flash). */
export function planMemory(g: Graph, opts: PlanOptions = {}): MemoryPlan {
  const alignment = opts.alignment ?? ARENA_ALIGN;
  const nSteps = g.nodes.length;
  const lastStep = Math.max(0, nSteps - 1);
  const isAct = (id: number) => id >= 0 && g.tensors[id] !== undefined && g.tensors[id].data === undefined;

  // Lifetimes per tensor.
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const touch = (id: number, step: number) => {
    if (!isAct(id)) return;
    if (!first.has(id) || step < first.get(id)!) first.set(id, step);
    if (!last.has(id) || step > last.get(id)!) last.set(id, step);
  };
  for (const id of g.inputs) touch(id, 0);
  g.nodes.forEach((n, i) => {
    n.outputs.forEach((o) => touch(o, i));
    n.inputs.forEach((t) => touch(t, i));
  });
  for (const id of g.outputs) touch(id, lastStep);

  // Buffers: union of aliased tensors.
  const bufOf = new Map<number, number>();
  const bufs: { tensors: number[]; size: number; first: number; last: number; scratchOf?: number }[] = [];
  const aliasOf = new Map<number, number>();
  const newBuf = (id: number) => {
    bufOf.set(id, bufs.length);
    bufs.push({ tensors: [id], size: tensorBytes(g, id), first: first.get(id)!, last: last.get(id)! });
  };
  for (const id of g.inputs) if (isAct(id) && !bufOf.has(id)) newBuf(id);
  const graphIn = new Set(g.inputs);
  g.nodes.forEach((n, i) => {
    for (const t of n.inputs) if (isAct(t) && !bufOf.has(t)) newBuf(t); // e.g. an input never listed
    const out = n.outputs[0];
    const inp = n.inputs[0];
    let merged = false;
    if (out !== undefined && isAct(out) && inp !== undefined && isAct(inp) && bufOf.has(inp) && !graphIn.has(out)) {
      const b = bufs[bufOf.get(inp)!];
      const sameBytes = tensorBytes(g, out) === tensorBytes(g, inp);
      if (opts.alias?.(i) && sameBytes) {
        merged = true;
      } else if (opts.inPlace?.(i) && sameBytes && b.last === i && !n.inputs.slice(1).some((t) => t >= 0 && bufOf.get(t) === bufOf.get(inp))) {
        // input 0's whole buffer dies here and no other input of this node reads it
        merged = true;
      }
      if (merged) {
        bufOf.set(out, bufOf.get(inp)!);
        b.tensors.push(out);
        b.last = Math.max(b.last, last.get(out)!);
        aliasOf.set(out, inp);
      }
    }
    for (const o of n.outputs) if (isAct(o) && !bufOf.has(o)) newBuf(o);
    const sc = opts.scratchBytes?.(i) ?? 0;
    if (sc > 0) bufs.push({ tensors: [], size: sc, first: i, last: i, scratchOf: i });
  });

  const items: Interval[] = bufs.map((b) => ({ size: b.size, first: b.first, last: b.last }));
  const { offsets, arenaSize } = placeIntervals(items, alignment);
  const buffers: BufferPlacement[] = bufs.map((b, k) => ({
    id: k,
    tensors: b.tensors,
    offset: offsets[k],
    size: b.size,
    firstUse: b.first,
    lastUse: b.last,
    scratchOf: b.scratchOf,
  }));
  const tensors = new Map<number, TensorPlacement>();
  for (const [id, k] of bufOf) {
    tensors.set(id, {
      tensor: id,
      name: g.tensors[id].name,
      offset: offsets[k],
      size: tensorBytes(g, id),
      firstUse: first.get(id)!,
      lastUse: last.get(id)!,
      buffer: k,
      aliasOf: aliasOf.get(id),
    });
  }
  const scratch = new Map<number, ScratchPlacement>();
  buffers.forEach((b) => {
    if (b.scratchOf !== undefined) scratch.set(b.scratchOf, { node: b.scratchOf, offset: b.offset, size: b.size });
  });
  return { arenaSize, lowerBound: liveLowerBound(items), alignment, tensors, scratch, buffers };
}
