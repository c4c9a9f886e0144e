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
// Overlap pairs relax that rule for one node: when its kernel's memory walk allows it (src/plan/overlap.ts), the
// output buffer of node i may share bytes with its input buffer that dies at i, at an offset difference
// d = out - in inside the allowed range (d <= below or d >= above). `lowerBound` then counts such a pair at its
// smallest footprint; `disjointLowerBound` is the old figure (every live buffer apart).

import { dtypeSize, shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { alignedRange, pairFootprint, type OverlapRange } from './overlap.js';

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
  /** Row bands: the tensor never exists whole; `size` is its band (rows of it a fused consumer reads at a time). */
  band?: boolean;
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

export interface OverlapPlacement {
  node: number;
  /** Buffers of the node's input 0 and output 0. */
  inBuffer: number;
  outBuffer: number;
  /** What the kernel allows (d = out offset - in offset): d <= below or d >= above. */
  range: OverlapRange;
  /** The offset difference the plan chose. */
  d: number;
  /** Do the two buffers actually share bytes in this plan? */
  overlapping: boolean;
}

export interface MemoryPlan {
  arenaSize: number;
  /**
   * No arena can be smaller: the largest sum, over steps, of the live buffer sizes, where a node's input/output
   * overlap pair counts as its smallest allowed footprint (equal to `disjointLowerBound` when nothing may overlap).
   */
  lowerBound: number;
  /** Largest sum of live buffer sizes at any step, every live buffer apart (the bound without overlaps). */
  disjointLowerBound: number;
  /** Input/output pairs that were allowed to overlap, and where they were put. */
  overlaps: OverlapPlacement[];
  alignment: number;
  tensors: Map<number, TensorPlacement>;
  scratch: Map<number, ScratchPlacement>;
  buffers: BufferPlacement[];
  /** Set when row bands were offered (PlanOptions.rowBands): the arena without them and the pairs the plan took. */
  rowBands?: { arenaWithout: number; used: RowBand[] };
}

/**
 * Row-band (patch-based) execution of a layer pair: producer node p writes a tensor only node p + 1 reads (as its
 * input 0); the pair runs interleaved, one consumer output row at a time, so the intermediate tensor only ever holds
 * `bandBytes` (the rows of it one consumer window reads). In the plan: that tensor's buffer is `bandBytes` large, the
 * producer's inputs stay live through the consumer's step and the consumer's outputs from the producer's step.
 * Which pairs qualify (kernels that compute a row range) is the code generator's business (src/codegen/c/row-bands.ts).
 */
export interface RowBand {
  producer: number;
  bandBytes: number;
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
  /**
   * How far output 0 of node i may overlap its input 0 while the kernel runs (from the kernel's memory walk,
   * src/plan/overlap.ts); undefined: not at all. Used only when input 0's buffer dies at node i, holds no graph
   * output and is read by no other input of the node.
   */
  overlap?: (nodeIndex: number) => OverlapRange | undefined;
  /**
   * Test hook: put every overlap pair exactly at one end of its range (d = below or d = above, after rounding to
   * the alignment) wherever that placement is free, instead of where the arena is smallest. The overlap property
   * test uses it to run each kernel at the tightest offset its walk allows.
   */
  overlapAt?: 'below' | 'above';
  alignment?: number;
  /**
   * Candidate row-band pairs (build --row-bands): each is taken, greedily, largest intermediate tensor first, only
   * when it makes the arena smaller by at least ROW_BAND_MIN_GAIN of it; the plan records the arena without any
   * (`rowBands.arenaWithout`).
   */
  rowBands?: RowBand[];
}

/** Two intervals (by index) that may share bytes at offset difference d = off[out] - off[in] in the range. */
export interface IntervalPair {
  in: number;
  out: number;
  range: OverlapRange;
}

/** One interval to place: the generic core the property tests exercise directly. */
export interface Interval {
  size: number;
  first: number;
  last: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Pair constraints by item: partner index and the forbidden open interval of d = off[out] - off[in]. */
type PairIndex = Map<number, { other: number; isOut: boolean; below: number; above: number }[]>;

function indexPairs(items: readonly Interval[], pairs: readonly IntervalPair[], alignment: number): PairIndex {
  const m: PairIndex = new Map();
  for (const p of pairs) {
    const r = alignedRange(p.range, alignUp(items[p.in].size, alignment), alignUp(items[p.out].size, alignment), alignment);
    if (r.below >= r.above) continue; // nothing forbidden: never happens for a real walk, kept for safety
    const add = (k: number, v: { other: number; isOut: boolean; below: number; above: number }) => m.set(k, [...(m.get(k) ?? []), v]);
    add(p.out, { other: p.in, isOut: true, below: r.below, above: r.above });
    add(p.in, { other: p.out, isOut: false, below: r.below, above: r.above });
  }
  return m;
}

/**
 * Lowest (first fit) or tightest (best fit) aligned start for item i given forbidden open intervals of start
 * offsets: used for an item with a placed overlap partner (the pair's forbidden interval replaces the partner's
 * whole extent).
 */
function placeWithPairs(forbidden: [number, number][], bestFit: boolean): number {
  forbidden.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let best = -1;
  let bestGap = Infinity;
  for (const [lo, hi] of forbidden) {
    if (lo >= cur) {
      // allowed starts [cur, lo]
      if (!bestFit) return cur;
      if (lo - cur < bestGap) {
        bestGap = lo - cur;
        best = cur;
      }
    }
    if (hi > cur) cur = hi;
  }
  return bestFit && best >= 0 ? best : cur;
}

/** Place items in the given order, each at the lowest (first fit) or the tightest (best fit) free aligned gap. */
function placeInOrder(items: readonly Interval[], order: readonly number[], alignment: number, bestFit: boolean, pairs?: PairIndex, pin?: 'below' | 'above'): { offsets: number[]; arenaSize: number } {
  const offsets = new Array<number>(items.length).fill(0);
  const placed: number[] = [];
  const isPlaced = new Set<number>();
  let arena = 0;
  for (const i of order) {
    const it = items[i];
    const size = alignUp(it.size, alignment);
    const partners = pairs?.get(i)?.filter((p) => isPlaced.has(p.other));
    if (partners && partners.length) {
      const others: [number, number][] = []; // forbidden open intervals of start offsets from other live items
      const paired: [number, number][] = []; // and from the overlap partners
      for (const j of placed) {
        if (!(items[j].first <= it.last && it.first <= items[j].last)) continue;
        const p = partners.find((q) => q.other === j);
        if (!p) others.push([offsets[j] - size, offsets[j] + alignUp(items[j].size, alignment)]);
        else if (p.isOut) paired.push([offsets[j] + p.below, offsets[j] + p.above]);
        else paired.push([offsets[j] - p.above, offsets[j] - p.below]);
      }
      let off = placeWithPairs([...others, ...paired], bestFit);
      if (pin) {
        const p = partners[0];
        const d = pin === 'below' ? p.below : p.above;
        const at = p.isOut ? offsets[p.other] + d : offsets[p.other] - d;
        if (at >= 0 && others.every(([lo, hi]) => !(lo < at && at < hi))) off = at;
      }
      offsets[i] = off;
      placed.push(i);
      isPlaced.add(i);
      arena = Math.max(arena, off + size);
      continue;
    }
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
    isPlaced.add(i);
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
export function placeIntervals(items: readonly Interval[], alignment = ARENA_ALIGN, pairs: readonly IntervalPair[] = [], pin?: 'below' | 'above'): { offsets: number[]; arenaSize: number } {
  const pi = pairs.length ? indexPairs(items, pairs, alignment) : undefined;
  const best = searchPlacement(items, alignment, pairs, pi, pin);
  if (!pi || pin) return best;
  // overlaps only relax the placement rules, but the search is greedy: never return more than the plan without them
  const plain = searchPlacement(items, alignment, [], undefined);
  return plain.arenaSize <= best.arenaSize ? plain : separate(items, pairs, pi, best, alignment);
}

/**
 * Pairs that would rather not overlap (`preferApart`: the kernel's overlapping form is slower) and do: move the
 * output (else the input) to a place apart from its partner and every other live buffer, inside the same arena,
 * keeping the other pairs' ranges. The arena never grows; only overlaps the arena does not need are undone.
 */
function separate(items: readonly Interval[], pairs: readonly IntervalPair[], pi: PairIndex, best: { offsets: number[]; arenaSize: number }, alignment: number) {
  const offsets = best.offsets.slice();
  const up = (n: number) => alignUp(n, alignment);
  for (const p of pairs) {
    if (!p.range.preferApart) continue;
    const d = offsets[p.out] - offsets[p.in];
    if (d >= up(items[p.in].size) || -d >= up(items[p.out].size)) continue;
    for (const k of [p.out, p.in]) {
      const it = items[k];
      const size = up(it.size);
      const forbidden: [number, number][] = [[best.arenaSize - size, Infinity]];
      items.forEach((o, j) => {
        if (j === k || o.size === 0 || !(o.first <= it.last && it.first <= o.last)) return;
        const q = j === p.in || j === p.out ? undefined : pi.get(k)?.find((x) => x.other === j);
        if (!q) forbidden.push([offsets[j] - size, offsets[j] + up(o.size)]);
        else if (q.isOut) forbidden.push([offsets[j] + q.below, offsets[j] + q.above]); // k is that pair's output
        else forbidden.push([offsets[j] - q.above, offsets[j] - q.below]); // k is that pair's input
      });
      const off = placeWithPairs(forbidden, false);
      if (off + size <= best.arenaSize) {
        offsets[k] = off;
        break;
      }
    }
  }
  return { offsets, arenaSize: best.arenaSize };
}

function searchPlacement(items: readonly Interval[], alignment: number, pairs: readonly IntervalPair[], pi: PairIndex | undefined, pin?: 'below' | 'above'): { offsets: number[]; arenaSize: number } {
  const idx = items.map((_, i) => i).filter((i) => items[i].size > 0);
  if (pin && pi) {
    // the test hook: no search for the smallest arena, just the pinned placement in the first order that has it
    for (const o of [idx, idx.slice().reverse()]) {
      const r = placeInOrder(items, o, alignment, false, pi, pin);
      const pinned = (p: IntervalPair) => {
        const q = pi.get(p.out)?.find((x) => x.other === p.in);
        return !q || r.offsets[p.out] - r.offsets[p.in] === (pin === 'below' ? q.below : q.above);
      };
      if (pairs.every(pinned)) return r;
    }
  }
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
  const floor = alignedLowerBound(items, alignment, pairs);
  let best = placeInOrder(items, orders[0], alignment, false, pi);
  let bestOrder = orders[0];
  let bestFit = false;
  for (const o of orders)
    for (const fit of [false, true]) {
      if (best.arenaSize <= floor) return best;
      const r = placeInOrder(items, o, alignment, fit, pi);
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
    const r = placeInOrder(items, order, alignment, bestFit, pi);
    if (r.arenaSize < best.arenaSize) best = r;
    else [order[a], order[b]] = [order[b], order[a]];
  }
  return best;
}

/** The live lower bound with every size rounded up to the alignment (what any aligned placement needs). */
function alignedLowerBound(items: readonly Interval[], alignment: number, pairs: readonly IntervalPair[] = []): number {
  return liveLowerBound(
    items.map((it) => ({ ...it, size: alignUp(it.size, alignment) })),
    pairs,
    alignment,
  );
}

/**
 * Largest sum of live sizes at any single step; an overlap pair counts, at the steps where both are live, as the
 * smallest footprint its range allows (offsets multiples of `alignment`).
 */
export function liveLowerBound(items: readonly Interval[], pairs: readonly IntervalPair[] = [], alignment = 1): number {
  let steps = 0;
  for (const it of items) steps = Math.max(steps, it.last + 1);
  const sum = new Array<number>(steps + 1).fill(0);
  for (const it of items) for (let s = it.first; s <= it.last; s++) sum[s] += it.size;
  for (const p of pairs) {
    const a = items[p.in];
    const b = items[p.out];
    const save = a.size + b.size - pairFootprint(a.size, b.size, p.range, alignment);
    for (let s = Math.max(a.first, b.first); s <= Math.min(a.last, b.last); s++) sum[s] -= save;
  }
  return Math.max(0, ...sum);
}

export function tensorBytes(g: Graph, id: number): number {
  const t = g.tensors[id];
  return shapeSize(t.shape.map((d) => (d < 0 ? 1 : d))) * dtypeSize(t.dtype);
}

/**
 * The least share of the arena a row-band pair must save to be taken. A pair costs instructions (the band slide,
 * a kernel call per output row, rows a row kernel starts pixel by pixel): person_detect's one candidate saved 16 B
 * (0.04%) for 3.5% more rv32 instructions, while the pairs worth having save 9% (cifar10_q) to 65%
 * (mnist_model_quant).
 */
export const ROW_BAND_MIN_GAIN = 0.01;

/** Plan the activation memory of a graph (constants are not planned: they stay in flash). */
export function planMemory(g: Graph, opts: PlanOptions = {}): MemoryPlan {
  if (!opts.rowBands) return planWith(g, opts, []);
  const base = planWith(g, opts, []);
  let best = base;
  let used: RowBand[] = [];
  const full = (b: RowBand) => tensorBytes(g, g.nodes[b.producer].outputs[0]);
  for (const b of opts.rowBands.slice().sort((x, y) => full(y) - full(x) || x.producer - y.producer)) {
    if (used.some((u) => Math.abs(u.producer - b.producer) <= 1)) continue; // a node belongs to one pair at most
    const r = planWith(g, opts, [...used, b]);
    if (r.arenaSize <= best.arenaSize * (1 - ROW_BAND_MIN_GAIN)) {
      best = r;
      used = [...used, b];
    }
  }
  return { ...best, rowBands: { arenaWithout: base.arenaSize, used: used.slice().sort((x, y) => x.producer - y.producer) } };
}

function planWith(g: Graph, opts: PlanOptions, bands: readonly RowBand[]): MemoryPlan {
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
  // a row-band pair runs interleaved: the producer's inputs are read until the consumer's last row, the consumer's
  // outputs written from the producer's first
  const bandSize = new Map<number, number>();
  for (const b of bands) {
    const p = b.producer;
    g.nodes[p].inputs.forEach((t) => touch(t, p + 1));
    g.nodes[p + 1].outputs.forEach((t) => touch(t, p));
    bandSize.set(g.nodes[p].outputs[0], b.bandBytes);
  }
  const bytesOf = (id: number) => bandSize.get(id) ?? tensorBytes(g, id);

  // Buffers: union of aliased tensors.
  const bufOf = new Map<number, number>();
  const bufs: { tensors: number[]; size: number; first: number; last: number; scratchOf?: number }[] = [];
  const aliasOf = new Map<number, number>();
  const newBuf = (id: number) => {
    bufOf.set(id, bufs.length);
    bufs.push({ tensors: [id], size: bytesOf(id), first: first.get(id)!, last: last.get(id)! });
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
      const sameBytes = bytesOf(out) === bytesOf(inp) && !bandSize.has(out) && !bandSize.has(inp);
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

  // Overlap pairs: output 0 of node i over its input 0 whose buffer dies at i (no graph output in it, no other
  // input of the node reading it), as far as the kernel's walk allows.
  const graphOut = new Set(g.outputs);
  const pairs: (IntervalPair & { node: number })[] = [];
  if (opts.overlap)
    g.nodes.forEach((n, i) => {
      const out = n.outputs[0];
      const inp = n.inputs[0];
      if (out === undefined || inp === undefined || !isAct(out) || !isAct(inp)) return;
      const bi = bufOf.get(inp);
      const bo = bufOf.get(out);
      if (bi === undefined || bo === undefined || bi === bo) return;
      const b = bufs[bi];
      if (b.last !== i || bufs[bo].first !== i || b.tensors.some((t) => graphOut.has(t))) return;
      if (n.inputs.some((t, k) => k > 0 && t >= 0 && bufOf.get(t) === bi)) return;
      const range = opts.overlap!(i);
      if (range) pairs.push({ in: bi, out: bo, range, node: i });
    });

  const items: Interval[] = bufs.map((b) => ({ size: b.size, first: b.first, last: b.last }));
  const { offsets, arenaSize } = placeIntervals(items, alignment, pairs, opts.overlapAt);
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
      size: bytesOf(id),
      ...(bandSize.has(id) ? { band: true } : {}),
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
  const overlaps: OverlapPlacement[] = pairs.map((p) => {
    const d = offsets[p.out] - offsets[p.in];
    return { node: p.node, inBuffer: p.in, outBuffer: p.out, range: p.range, d, overlapping: d < items[p.in].size && -d < items[p.out].size };
  });
  return { arenaSize, lowerBound: liveLowerBound(items, pairs), disjointLowerBound: liveLowerBound(items), overlaps, alignment, tensors, scratch, buffers };
}
