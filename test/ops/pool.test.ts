// MaxPool / AveragePool against a naive reference that walks every tap of every window and decides for each
// tap whether it is in the input, in the padding, or beyond the padded extent (ceil_mode). The output extent is
// found by counting admissible window starts rather than by the closed formula the kernel uses.
//
// Tolerance: averages of float32 inputs computed in doubles in different orders: rtol 1e-6, atol 1e-6.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, node, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

interface PoolCase {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  ceil_mode: number;
  count_include_pad?: number;
}

/** Window starts o*s - padBegin admitted: floor mode needs the whole window in the padded extent; ceil mode
 * keeps a partial last window if it starts before the end of input + begin padding (ONNX). */
function extent(inSize: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const eff = (k - 1) * d + 1;
  let n = 0;
  for (let o = 0; ; o++) {
    const start = o * s; // in padded coordinates
    const fits = start + eff <= inSize + pb + pe;
    if (fits) {
      n++;
      continue;
    }
    // ceil: one more window if it still overlaps the unpadded span [.., inSize+pb) and the floor count
    // fell short of the ceil count
    if (ceil && start < inSize + pb && start < inSize + pb + pe - eff + s) n++;
    break;
  }
  return n;
}

function naivePool(kind: 'max' | 'avg', x: Value, a: PoolCase): { shape: number[]; data: number[] } {
  const [N, H, W, C] = x.shape;
  const OH = extent(H, a.kernel[0], a.strides[0], a.dilations[0], a.pads[0], a.pads[2], a.ceil_mode === 1);
  const OW = extent(W, a.kernel[1], a.strides[1], a.dilations[1], a.pads[1], a.pads[3], a.ceil_mode === 1);
  const shape = [N, OH, OW, C];
  const data: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const [n, oy, ox, c] = unravel(i, shape);
    let best = -Infinity;
    let sum = 0;
    let inside = 0;
    let padded = 0;
    for (let ky = 0; ky < a.kernel[0]; ky++)
      for (let kx = 0; kx < a.kernel[1]; kx++) {
        const y = oy * a.strides[0] - a.pads[0] + ky * a.dilations[0];
        const xx = ox * a.strides[1] - a.pads[1] + kx * a.dilations[1];
        const inPadded = y >= -a.pads[0] && y < H + a.pads[2] && xx >= -a.pads[1] && xx < W + a.pads[3];
        if (inPadded) padded++;
        if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
        const v = x.data[ravel([n, y, xx, c], x.shape)];
        inside++;
        sum += v;
        best = Math.max(best, v);
      }
    if (inside === 0) data.push(0);
    else if (kind === 'max') data.push(best);
    else data.push(sum / (a.count_include_pad ? padded : inside));
  }
  return { shape, data };
}

function randomCase(r: () => number): PoolCase {
  const kernel = [randInt(r, 1, 4), randInt(r, 1, 4)];
  const dilations = [r() < 0.7 ? 1 : randInt(r, 2, 3), r() < 0.7 ? 1 : randInt(r, 2, 3)];
  const pad = (ax: number) => randInt(r, 0, (kernel[ax] - 1) * dilations[ax]); // pads < window extent
  return {
    kernel,
    strides: [randInt(r, 1, 3), randInt(r, 1, 3)],
    dilations,
    pads: [pad(0), pad(1), pad(0), pad(1)],
    ceil_mode: r() < 0.5 ? 1 : 0,
  };
}

for (const [op, kind] of [['MaxPool', 'max'], ['AveragePool', 'avg']] as const) {
  test(`${op}: seeded random cases (strides, dilations, asymmetric pads, ceil_mode${kind === 'avg' ? ', count_include_pad' : ''}) match the naive reference`, () => {
    const r = rng(kind === 'max' ? 77 : 78);
    let ran = 0;
    let ceilDiffers = 0;
    for (let t = 0; t < 250; t++) {
      const a = randomCase(r);
      if (kind === 'avg') a.count_include_pad = t % 2;
      const x = randVal(r, [randInt(r, 1, 2), randInt(r, 1, 8), randInt(r, 1, 8), randInt(r, 1, 4)]);
      let ref: ReturnType<typeof naivePool>;
      const floorRef = naivePool(kind, x, { ...a, ceil_mode: 0 });
      if (floorRef.shape[1] === 0 || floorRef.shape[2] === 0) {
        throwsCode(() => run(op, [x], { ...a }), 'EF1004');
        continue;
      }
      ref = naivePool(kind, x, a);
      if (ref.shape[1] !== floorRef.shape[1] || ref.shape[2] !== floorRef.shape[2]) ceilDiffers++;
      assertClose(run(op, [x], { ...a })[0], ref.shape, ref.data, 1e-6, 1e-6, `case ${t} ${JSON.stringify(a)} x=[${x.shape}]`);
      ran++;
    }
    assert.ok(ran > 150 && ceilDiffers > 10, `ran ${ran}, ceil-mode cases with an extra window ${ceilDiffers}`);
  });
}

test('AveragePool / MaxPool: hand-checked values', () => {
  // 3x3 image 1..9, kernel 2, stride 2, ceil_mode: windows start at rows/cols 0 and 2 → 2x2 output
  const x = val('float32', [1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // averages: (1+2+4+5)/4=3, (3+6)/2=4.5, (7+8)/2=7.5, 9/1=9
  assertClose(run('AveragePool', [x], { kernel: [2, 2], strides: [2, 2], ceil_mode: 1 })[0], [1, 2, 2, 1], [3, 4.5, 7.5, 9]);
  // count_include_pad=1 with no explicit pads: taps beyond the input (created by ceil_mode) are not counted
  assertClose(run('AveragePool', [x], { kernel: [2, 2], strides: [2, 2], ceil_mode: 1, count_include_pad: 1 })[0], [1, 2, 2, 1], [3, 4.5, 7.5, 9]);
  assertClose(run('MaxPool', [x], { kernel: [2, 2], strides: [2, 2], ceil_mode: 1 })[0], [1, 2, 2, 1], [5, 6, 8, 9]);
  // floor mode: only the first window
  assertClose(run('MaxPool', [x], { kernel: [2, 2], strides: [2, 2] })[0], [1, 1, 1, 1], [5]);
  // pads 1 all round, kernel 3, stride 3, count_include_pad 1: one window over rows/cols -1..1:
  // taps inside: 1+2+4+5 = 12, divisor 9 (all taps lie in the padded extent) → 12/9; with count_include_pad 0 → 12/4 = 3
  const x2 = val('float32', [1, 2, 2, 1], [1, 2, 4, 5]);
  const a = { kernel: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1 };
  assertClose(run('AveragePool', [x2], { ...a, count_include_pad: 1 })[0], [1, 1, 1, 1], [12 / 9]);
  assertClose(run('AveragePool', [x2], { ...a, count_include_pad: 0 })[0], [1, 1, 1, 1], [3]);
  // MaxPool ignores padding even when every value is negative
  assertClose(run('MaxPool', [val('float32', [1, 2, 2, 1], [-1, -2, -4, -5])], a)[0], [1, 1, 1, 1], [-1]);
  // ceil-mode last window dropped: 2x2 input, kernel 1, stride 2 → ceil((2-1)/2)+1 = 2, but window 1 would
  // start at 2 = in + pad_begin, so the output is 1x1
  assertClose(run('MaxPool', [x2], { kernel: [1, 1], strides: [2, 2], ceil_mode: 1 })[0], [1, 1, 1, 1], [1]);
});

test('pools: errors and macs', () => {
  const x = val('float32', [1, 4, 4, 2], new Array(32).fill(1));
  throwsCode(() => run('MaxPool', [x], {}), 'EF1006'); // kernel required (attribute normalisation names the node)
  throwsCode(() => run('MaxPool', [val('float32', [4, 4, 2], new Array(32).fill(1))], { kernel: [2, 2] }), 'EF1004');
  throwsCode(() => run('MaxPool', [x], { kernel: [5, 1] }), 'EF1004');
  throwsCode(() => run('MaxPool', [x], { kernel: [2, 2], pads: [2, 0, 0, 0] }), 'EF1006'); // pad >= window
  throwsCode(() => run('AveragePool', [x], { kernel: [2, 2], count_include_pad: 2 }), 'EF1006');
  throwsCode(() => run('AveragePool', [x], { kernel: [2, 2], ceil_mode: 3 }), 'EF1006');
  throwsCode(() => run('AveragePool', [x], { kernel: [2, 2], strides: [1, 1e7] }), 'EF1006');
  const def = getOp('AveragePool');
  const n = node('AveragePool');
  const attrs = normalizeAttrs(def, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, n.name);
  const ctx = { node: n, attrs, inputs: [{ dtype: 'float32' as const, shape: [2, 8, 8, 5] }] };
  // output 4x4: one accumulate per window tap
  assert.equal(def.macs(ctx, def.infer(ctx)), 2 * 4 * 4 * 5 * 9);
});
