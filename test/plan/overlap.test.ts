// The overlap rule (src/plan/overlap.ts) against a brute-force simulation of the walk byte by byte, a hand-derived
// case, and the planner's use of it (pairs placed inside their range, everything else apart, the lower bound).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlapRange, pairFootprint, walkSteps, type Walk } from '../../src/plan/overlap.js';
import { liveLowerBound, placeIntervals, type Interval, type IntervalPair } from '../../src/plan/planner.js';
import { conv } from '../../src/codegen/c/ops/conv.js';
import { convGraph, rng, type ConvCase } from '../helpers/conv-model.js';

/**
 * Brute force: run the walk with the output d bytes after the input; an input byte is clobbered once any write
 * covers it; the placement is wrong if a step reads a clobbered byte. Reads / writes are the steps' byte ranges.
 */
function clobbers(steps: number[], inBytes: number, d: number): boolean {
  const dead = new Uint8Array(inBytes);
  for (let k = 0; k < steps.length; k += 4) {
    const [rl, rh, wl, wh] = [steps[k], steps[k + 1], steps[k + 2], steps[k + 3]];
    for (let b = Math.max(rl, 0); b < Math.min(rh, inBytes); b++) if (dead[b]) return true;
    for (let b = Math.max(wl + d, 0); b < Math.min(wh + d, inBytes); b++) dead[b] = 1;
  }
  return false;
}

/** Soundness over every d in [-outBytes - 2, inBytes + 2], tightness one byte inside each bound. */
function checkAgainstBruteForce(walk: Walk, inBytes: number, outBytes: number, label: string) {
  const steps = walkSteps(walk);
  const r = overlapRange(walk);
  for (let d = -outBytes - 2; d <= inBytes + 2; d++) {
    if (d <= r.below || d >= r.above) assert.equal(clobbers(steps, inBytes, d), false, `${label}: d=${d} allowed by ${JSON.stringify(r)} but clobbers`);
  }
  if (Number.isFinite(r.below) && r.below + 1 < r.above && r.below + 1 > -outBytes) assert.equal(clobbers(steps, inBytes, r.below + 1), true, `${label}: below+1 = ${r.below + 1} is safe, bound not tight`);
  if (Number.isFinite(r.above) && r.above - 1 > r.below && r.above - 1 < inBytes) assert.equal(clobbers(steps, inBytes, r.above - 1), true, `${label}: above-1 = ${r.above - 1} is safe, bound not tight`);
  return r;
}

test('overlap range: random walks, checked byte by byte', () => {
  const rand = rng(99);
  for (let trial = 0; trial < 300; trial++) {
    const inBytes = 1 + Math.floor(rand() * 60);
    const outBytes = 1 + Math.floor(rand() * 60);
    const n = 1 + Math.floor(rand() * 12);
    const steps: [number, number, number, number][] = [];
    for (let k = 0; k < n; k++) {
      const rl = Math.floor(rand() * inBytes);
      const rh = rl + Math.floor(rand() * (inBytes - rl + 1));
      const wl = Math.floor(rand() * outBytes);
      const wh = wl + 1 + Math.floor(rand() * (outBytes - wl));
      steps.push([rl, rh, wl, wh]);
    }
    checkAgainstBruteForce((s) => steps.forEach((t) => s(...t)), inBytes, outBytes, `trial ${trial}`);
  }
});

test('overlap range: a 1x1 expansion 8 -> 16 channels over 4 pixels, derived by hand', () => {
  // ef_gemmr_s8: pairs of rows; per pair the block of columns 0-7, then 8-15. Pair 0's first block writes
  // [0, 24) while the second block still reads row 0 (d <= -24); pair 1's first block writes [32, 56) while its
  // second block reads rows 2-3 from byte 16 (d <= -40); pair 0's second block writes [8, 32) before pair 1 reads
  // from 16 (d <= -16). Above: pair 0's first block writes from 0 while later steps read up to byte 32.
  const b = convCtx({ ih: 2, iw: 2, ic: 8, oc: 16, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [0, 0, 0, 0], group: 1 });
  assert.deepEqual(overlapRange(b), { below: -40, above: 32 });
  assert.equal(pairFootprint(32, 64, { below: -40, above: 32 }), 72);
  // in place: a 3x3 depthwise, stride 1, one channel block, 3x3 pixels of 8 channels: output pixel 0 may only
  // land where the window of pixel 1 does not reach: W + 1 = 4 pixels before (rows lag one row and one pixel)
  const dw = convCtx({ ih: 3, iw: 3, ic: 8, oc: 8, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 8 });
  assert.equal(overlapRange(dw).below, -4 * 8);
});

function convCtx(c: ConvCase): Walk {
  const walk = convWalkOrNone(c);
  assert.ok(walk);
  return walk;
}

/** The declared walk, or undefined for kernels that declare none (dwc at stride 1, convb16i: never overlapped). */
function convWalkOrNone(c: ConvCase): Walk | undefined {
  const g = convGraph(c, 1);
  const n = g.nodes[0];
  return conv.walk!({ n, q: n.qparams as never, T: (id) => g.tensors[id], X: g.tensors[n.inputs[0]], Y: g.tensors[n.outputs[0]] });
}

test('overlap range: the declared conv kernel walks, checked byte by byte on random shapes', () => {
  const rand = rng(5);
  const pick = <T,>(a: T[]) => a[Math.floor(rand() * a.length)];
  for (let trial = 0; trial < 80; trial++) {
    const kind = pick(['1x1', 'conv', 'dw', 'group']);
    const k = kind === '1x1' ? 1 : pick([1, 3, 5]);
    const s = kind === '1x1' ? 1 : pick([1, 2]);
    const d = k === 1 ? 1 : pick([1, 2]);
    const p = kind === '1x1' ? 0 : pick([0, 1, 2]);
    const ic = kind === 'group' ? 2 * (1 + Math.floor(rand() * 3)) : 1 + Math.floor(rand() * 12);
    const group = kind === 'dw' ? ic : kind === 'group' ? 2 : 1;
    const oc = kind === 'dw' ? ic * pick([1, 2, 4]) : kind === 'group' ? 2 * (1 + Math.floor(rand() * 5)) : 1 + Math.floor(rand() * 20);
    const ih = 2 + Math.floor(rand() * 7);
    const iw = 2 + Math.floor(rand() * 7);
    const w16 = rand() < 0.3;
    const c: ConvCase = { ih, iw, ic, oc, kh: k, kw: k, sh: s, sw: s, dh: d, dw: kind === 'conv' ? 1 : d, pads: [p, p, p, p], group, w16 };
    if (ih + 2 * p < d * (k - 1) + 1 || iw + 2 * p < d * (k - 1) + 1) continue;
    const g = convGraph(c, trial);
    const e = w16 ? 2 : 1;
    const out = g.tensors[g.nodes[0].outputs[0]].shape.reduce((a, b) => a * b, 1) * e;
    const walk = convWalkOrNone(c);
    if (walk) checkAgainstBruteForce(walk, ih * iw * ic * e, out, JSON.stringify(c));
  }
});

function checkPlacement(items: Interval[], pairs: IntervalPair[], offsets: number[], arena: number, align: number) {
  const up = (n: number) => Math.ceil(n / align) * align;
  for (let i = 0; i < items.length; i++) {
    if (items[i].size === 0) continue;
    assert.equal(offsets[i] % align, 0);
    assert.ok(offsets[i] >= 0 && offsets[i] + items[i].size <= arena);
    for (let j = i + 1; j < items.length; j++) {
      if (items[j].size === 0) continue;
      if (!(items[i].first <= items[j].last && items[j].first <= items[i].last)) continue;
      const p = pairs.find((q) => (q.in === i && q.out === j) || (q.in === j && q.out === i));
      if (p) {
        const d = offsets[p.out] - offsets[p.in];
        const disjoint = d >= up(items[p.in].size) || -d >= up(items[p.out].size);
        assert.ok(disjoint || d <= p.range.below || d >= p.range.above, `pair ${p.in}->${p.out}: d=${d} outside ${JSON.stringify(p.range)}`);
      } else assert.ok(offsets[i] + items[i].size <= offsets[j] || offsets[j] + items[j].size <= offsets[i], `${i} and ${j} overlap`);
    }
  }
}

test('planner: overlap pairs stay inside their range, other live buffers apart, arena >= the lower bound', () => {
  const rand = rng(31337);
  let shrunk = 0;
  for (let trial = 0; trial < 200; trial++) {
    // a chain of nodes: buffer k is born at step k-1 and read at step k (plus a few long-lived side buffers)
    const n = 2 + Math.floor(rand() * 10);
    const items: Interval[] = [];
    const pairs: IntervalPair[] = [];
    for (let k = 0; k < n; k++) items.push({ size: 16 * (1 + Math.floor(rand() * 40)), first: Math.max(0, k - 1), last: k });
    for (let k = 0; k < 3; k++) {
      const a = Math.floor(rand() * n);
      items.push({ size: 16 * (1 + Math.floor(rand() * 10)), first: a, last: a + Math.floor(rand() * (n - a)) });
    }
    for (let k = 1; k < n; k++)
      if (rand() < 0.7) {
        const below = -Math.floor(rand() * items[k].size) + Math.floor(rand() * 40);
        pairs.push({ in: k - 1, out: k, range: { below, above: below + Math.floor(rand() * 200), ...(rand() < 0.4 ? { preferApart: true } : {}) } });
      }
    const p = placeIntervals(items, 16, pairs);
    checkPlacement(items, pairs, p.offsets, p.arenaSize, 16);
    assert.ok(p.arenaSize >= liveLowerBound(items, pairs, 16), `trial ${trial}: arena below the lower bound`);
    const plain = placeIntervals(items, 16);
    assert.ok(liveLowerBound(items, pairs) <= liveLowerBound(items));
    if (p.arenaSize < plain.arenaSize) shrunk++;
    assert.deepEqual(placeIntervals(items, 16, pairs), p, 'deterministic');
  }
  assert.ok(shrunk > 50, `overlaps shrink the arena in most trials (${shrunk})`);
});

test('planner: a pair that prefers to stay apart overlaps only where the arena needs it', () => {
  // step 0: a (96 B) -> b (160 B) next to L (112 B): 368 B apart, 272 B with b 64 B below a (pair A, d >= -64);
  // step 1: b -> c (32 B, pair B), 192 B apart; step 3: X (320 B) alone sets the arena. Pair A is needed
  // (without overlaps the arena is 368 B); pair B is not.
  const items: Interval[] = [
    { size: 96, first: 0, last: 0 },
    { size: 160, first: 0, last: 1 },
    { size: 32, first: 1, last: 2 },
    { size: 112, first: 0, last: 0 },
    { size: 320, first: 3, last: 3 },
  ];
  const A: IntervalPair = { in: 0, out: 1, range: { below: -64, above: 96 } };
  const rB = { below: 0, above: 160 };
  const apartB = (o: number[]) => o[1] + 160 <= o[2] || o[2] + 32 <= o[1];
  assert.equal(placeIntervals(items, 16).arenaSize, 368);
  const cheap = placeIntervals(items, 16, [A, { in: 1, out: 2, range: rB }]);
  assert.equal(cheap.arenaSize, 320);
  assert.ok(!apartB(cheap.offsets), `first fit overlaps b and c when it costs nothing (${cheap.offsets})`);
  const costly = placeIntervals(items, 16, [A, { in: 1, out: 2, range: { ...rB, preferApart: true } }]);
  assert.equal(costly.arenaSize, 320);
  assert.ok(apartB(costly.offsets), `preferApart: b and c apart (${costly.offsets})`);
  checkPlacement(items, [A, { in: 1, out: 2, range: rB }], costly.offsets, costly.arenaSize, 16);
  // where the arena needs it, the overlap stays: alone, 96 -> 160 spans 160 with the output starting 64 B below
  // the input (d = -64), 256 B apart
  const lone = placeIntervals(items.slice(0, 2), 16, [{ in: 0, out: 1, range: { ...A.range, preferApart: true } }]);
  assert.equal(lone.arenaSize, 160);
  assert.equal(lone.offsets[1] - lone.offsets[0], -64);
});

test('planner: never a larger arena with overlap pairs than without (the greedy search keeps the plain plan on ties)', () => {
  const rand = rng(2024);
  for (let trial = 0; trial < 150; trial++) {
    const n = 2 + Math.floor(rand() * 12);
    const items: Interval[] = [];
    const pairs: IntervalPair[] = [];
    for (let k = 0; k < n; k++) items.push({ size: 16 * (1 + Math.floor(rand() * 40)), first: Math.max(0, k - 1), last: k });
    for (let k = 1; k < n; k++) if (rand() < 0.6) pairs.push({ in: k - 1, out: k, range: { below: -Math.floor(rand() * 300), above: Math.floor(rand() * 300) } });
    const plain = placeIntervals(items, 16);
    const p = placeIntervals(items, 16, pairs);
    assert.ok(p.arenaSize <= plain.arenaSize, `trial ${trial}: ${p.arenaSize} > ${plain.arenaSize}`);
    if (p.arenaSize === plain.arenaSize) assert.deepEqual(p, plain, 'a tie keeps the plan without overlaps');
  }
});
