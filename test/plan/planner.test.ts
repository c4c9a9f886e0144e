import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveLowerBound, placeIntervals, planMemory, type Interval } from '../../src/plan/planner.js';
import { GraphBuilder } from '../../src/ir/graph.js';

// Deterministic PRNG so a failure can be reproduced.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function checkNoOverlap(items: Interval[], offsets: number[], arena: number, align: number) {
  for (let i = 0; i < items.length; i++) {
    if (items[i].size === 0) continue;
    assert.equal(offsets[i] % align, 0, 'aligned');
    assert.ok(offsets[i] + items[i].size <= arena, 'inside the arena');
    for (let j = i + 1; j < items.length; j++) {
      if (items[j].size === 0) continue;
      const liveTogether = items[i].first <= items[j].last && items[j].first <= items[i].last;
      if (!liveTogether) continue;
      const disjoint = offsets[i] + items[i].size <= offsets[j] || offsets[j] + items[j].size <= offsets[i];
      assert.ok(disjoint, `buffers ${i} and ${j} are live together and overlap`);
    }
  }
}

test('random lifetimes: live buffers never overlap, arena >= live lower bound', () => {
  const r = rng(1234);
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + Math.floor(r() * 30);
    const steps = 1 + Math.floor(r() * 20);
    const items: Interval[] = [];
    for (let i = 0; i < n; i++) {
      const a = Math.floor(r() * steps);
      const b = a + Math.floor(r() * (steps - a));
      items.push({ size: Math.floor(r() * 5000), first: a, last: b });
    }
    const { offsets, arenaSize } = placeIntervals(items, 16);
    checkNoOverlap(items, offsets, arenaSize, 16);
    assert.ok(arenaSize >= liveLowerBound(items));
    // Never worse than giving every buffer its own slot.
    const sumAll = items.reduce((s, it) => s + Math.ceil(it.size / 16) * 16, 0);
    assert.ok(arenaSize <= sumAll);
  }
});

test('a chain reuses memory: peak is the largest consecutive pair', () => {
  // sizes along a chain a->b->c->d: each step holds input and output.
  const items: Interval[] = [
    { size: 1000, first: 0, last: 0 },
    { size: 4000, first: 0, last: 1 },
    { size: 2000, first: 1, last: 2 },
    { size: 3000, first: 2, last: 3 },
  ];
  const { offsets, arenaSize } = placeIntervals(items, 16);
  checkNoOverlap(items, offsets, arenaSize, 16);
  assert.equal(arenaSize, Math.max(1008 + 4000, 4000 + 2000, 2000 + 3008, 3008));
});

test('graph plan: reshape aliases, element-wise in place, scratch live only at its node', () => {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, 8, 8, 4] });
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: [1, 8, 8, 4] });
  const r = b.tensor({ name: 'r', dtype: 'int8', shape: [1, 256] });
  const z = b.tensor({ name: 'z', dtype: 'int8', shape: [1, 256] });
  b.inputs = [x];
  b.outputs = [z];
  b.node({ op: 'Relu', name: 'relu', inputs: [x], outputs: [y], attrs: {} });
  b.node({ op: 'Reshape', name: 'reshape', inputs: [y], outputs: [r], attrs: {} });
  b.node({ op: 'Relu', name: 'relu2', inputs: [r], outputs: [z], attrs: {} });
  const g = b.build();
  const plan = planMemory(g, {
    alias: (i) => g.nodes[i].op === 'Reshape',
    inPlace: (i) => i === 2,
    scratchBytes: (i) => (i === 0 ? 100 : 0),
  });
  assert.equal(plan.tensors.get(r)!.offset, plan.tensors.get(y)!.offset);
  assert.equal(plan.tensors.get(z)!.offset, plan.tensors.get(r)!.offset);
  assert.notEqual(plan.tensors.get(x)!.offset, plan.tensors.get(y)!.offset);
  const sc = plan.scratch.get(0)!;
  assert.equal(sc.size, 100);
  // scratch is live with x and y at step 0
  const ranges = [plan.tensors.get(x)!, plan.tensors.get(y)!].map((t) => [t.offset, t.offset + t.size]);
  for (const [s, e] of ranges) assert.ok(sc.offset >= e || sc.offset + sc.size <= s);
  assert.equal(plan.arenaSize, 256 + 256 + 112);
});

test('real graphs: person_detect, mnist_resnet and vww96 plans keep live tensors apart', async (t) => {
  const { sharedPath } = await import('../helpers/shared.js');
  const root = sharedPath(t, 'models', 'tflite');
  if (!root) return;
  const { loadModel } = await import('../../src/import/index.js');
  const { existsSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const find = (d: string, name: string): string | undefined => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        const r = find(p, name);
        if (r) return r;
      } else if (e.name === name) return p;
    }
  };
  for (const name of ['person_detect.tflite', 'mnist_resnet_q.tflite', 'vww96_q.tflite']) {
    const file = find(root, name);
    assert.ok(file && existsSync(file), name);
    const g = await loadModel(file);
    const plan = planMemory(g, { alias: (i) => g.nodes[i].op === 'Reshape' });
    const ts = [...plan.tensors.values()];
    for (let i = 0; i < ts.length; i++)
      for (let j = i + 1; j < ts.length; j++) {
        const a = ts[i];
        const b = ts[j];
        if (a.buffer === b.buffer) continue; // aliases share bytes on purpose
        const live = a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
        if (live) assert.ok(a.offset + a.size <= b.offset || b.offset + b.size <= a.offset, `${name}: ${a.name} / ${b.name}`);
      }
    assert.ok(plan.arenaSize >= plan.lowerBound);
    // every activation (non-constant tensor) read or written by a node has a place
    for (const n of g.nodes) for (const id of [...n.inputs, ...n.outputs]) if (id >= 0 && !g.tensors[id].data) assert.ok(plan.tensors.has(id));
    // vww96: one greedy pass left 9 KB above the lower bound (64,512 vs 55,296 B); the placement search closes it
    if (name === 'vww96_q.tflite') assert.equal(plan.arenaSize, plan.lowerBound);
    t.diagnostic(`${name}: arena ${plan.arenaSize} B, lower bound ${plan.lowerBound} B`);
  }
});

/** The single greedy pass the planner used to make (largest first, lowest offset): a baseline to never lose to. */
function greedyLargestFirst(items: Interval[], align: number): number {
  const up = (n: number) => Math.ceil(n / align) * align;
  const order = items.map((_, i) => i).filter((i) => items[i].size > 0);
  order.sort((a, b) => items[b].size - items[a].size || items[a].first - items[b].first || a - b);
  const off: number[] = [];
  const placed: number[] = [];
  let arena = 0;
  for (const i of order) {
    const busy = placed
      .filter((j) => items[j].first <= items[i].last && items[i].first <= items[j].last)
      .map((j) => [off[j], off[j] + up(items[j].size)])
      .sort((a, b) => a[0] - b[0]);
    let o = 0;
    for (const [s, e] of busy) {
      if (o + up(items[i].size) <= s) break;
      if (e > o) o = up(e);
    }
    off[i] = o;
    placed.push(i);
    arena = Math.max(arena, o + up(items[i].size));
  }
  return arena;
}

test('placement search: never larger than one greedy pass, deterministic, and optimal where greedy is not', () => {
  const r = rng(777);
  let better = 0;
  for (let trial = 0; trial < 200; trial++) {
    const n = 2 + Math.floor(r() * 25);
    const steps = 2 + Math.floor(r() * 15);
    const items: Interval[] = [];
    for (let i = 0; i < n; i++) {
      const a = Math.floor(r() * steps);
      items.push({ size: 16 * (1 + Math.floor(r() * 300)), first: a, last: a + Math.floor(r() * (steps - a)) });
    }
    const p = placeIntervals(items, 16);
    checkNoOverlap(items, p.offsets, p.arenaSize, 16);
    const g = greedyLargestFirst(items, 16);
    assert.ok(p.arenaSize <= g, `trial ${trial}: ${p.arenaSize} > greedy ${g}`);
    if (p.arenaSize < g) better++;
    assert.deepEqual(placeIntervals(items, 16), p, 'same input, same plan');
  }
  assert.ok(better > 0, 'the search improves on the greedy pass somewhere');
  // Largest first puts the 176 B and 160 B buffers at 0, the long-lived 48 B one above the larger (176), and
  // the 32 B one (steps 1-2) no longer fits the 16 B hole at 160: 256 B. The lower bound, 240 B, is reachable.
  const items: Interval[] = [
    { size: 160, first: 1, last: 1 },
    { size: 176, first: 3, last: 3 },
    { size: 48, first: 2, last: 2 },
    { size: 48, first: 0, last: 3 },
    { size: 32, first: 1, last: 2 },
  ];
  assert.equal(greedyLargestFirst(items, 16), 256);
  const p = placeIntervals(items, 16);
  checkNoOverlap(items, p.offsets, p.arenaSize, 16);
  assert.equal(p.arenaSize, liveLowerBound(items));
  assert.equal(p.arenaSize, 240);
});
