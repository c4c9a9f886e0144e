// ReduceMean / ReduceMax against a naive reference that groups input elements by their output coordinate,
// on random ranks/axes (negative, non-contiguous, empty = all) with keepdims both ways; errors and MACs.
//
// Tolerance: means summed in doubles in different orders: rtol 1e-6, atol 1e-6. Max is exact.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import { assertClose, assertExact, node, randInt, randVal, rng, run, size, throwsCode, unravel, val } from './kit.js';

test('ReduceMean / ReduceMax: random axes and keepdims match the naive grouping reference', () => {
  const r = rng(21);
  for (let t = 0; t < 120; t++) {
    const rank = randInt(r, 1, 5);
    const shape = Array.from({ length: rank }, () => randInt(r, 1, 4));
    const x = randVal(r, shape);
    const chosen = shape.map((_, i) => i).filter(() => r() < 0.5);
    const axes = chosen.map((a) => (r() < 0.5 ? a - rank : a));
    const keepdims = t % 2;
    const reduced = (i: number) => axes.length === 0 || chosen.includes(i);
    const outShape = shape.flatMap((d, i) => (reduced(i) ? (keepdims ? [1] : []) : [d]));
    const groups = new Map<string, number[]>();
    for (let i = 0; i < size(shape); i++) {
      const key = unravel(i, shape)
        .filter((_, d) => !reduced(d))
        .join(',');
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(x.data[i]);
    }
    // groups were created in row-major order of the kept coordinates, which is the output order
    const vals = [...groups.values()];
    const mean = vals.map((g) => g.reduce((p, q) => p + q, 0) / g.length);
    const max = vals.map((g) => Math.max(...g));
    const what = `[${shape}] axes [${axes}] keepdims ${keepdims}`;
    assertClose(run('ReduceMean', [x], { axes, keepdims })[0], outShape, mean, 1e-6, 1e-6, what);
    assertExact(run('ReduceMax', [x], { axes, keepdims })[0], outShape, Float32Array.from(max), what);
  }
});

test('ReduceMean / ReduceMax: hand values, errors, macs', () => {
  // NHWC [1,2,2,2] global pool over axes [1,2]: channel 0 = 1,3,5,7 → mean 4, max 7; channel 1 = 2,4,6,8 → 5, 8
  const x = val('float32', [1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  assertClose(run('ReduceMean', [x], { axes: [1, 2] })[0], [1, 1, 1, 2], [4, 5]);
  assertClose(run('ReduceMax', [x], { axes: [-3, -2], keepdims: 0 })[0], [1, 2], [7, 8]);
  assertClose(run('ReduceMean', [x], { keepdims: 0 })[0], [], [4.5]);
  throwsCode(() => run('ReduceMean', [x], { axes: [4] }), 'EF1006');
  throwsCode(() => run('ReduceMax', [x], { axes: [1, -3] }), 'EF1006'); // same axis twice
  throwsCode(() => run('ReduceMax', [x], { keepdims: 2 }), 'EF1006');
  const def = getOp('ReduceMean');
  const n = node('ReduceMean');
  const ctx = { node: n, attrs: normalizeAttrs(def, { axes: [1, 2] }, n.name), inputs: [{ dtype: 'float32' as const, shape: [1, 7, 7, 32] }] };
  assert.equal(def.macs(ctx, def.infer(ctx)), 7 * 7 * 32);
});
