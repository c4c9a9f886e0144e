// Conv: the fast NHWC kernel (depthwise / im2col / direct 1x1 paths) against a naive per-output-element
// reference, on seeded random shapes and attributes, plus hand-checked cases, error codes and MAC counts.
//
// Tolerance: both sides accumulate in doubles and round once to float32, in different orders, so results
// differ by float32 rounding of the output only: rtol 1e-6 plus atol 1e-5 for sums that cancel to ~0.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, node, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

const ACT: Record<string, [number, number]> = { none: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6], relu_n1_to_1: [-1, 1] };

interface ConvCase {
  strides: number[];
  dilations: number[];
  pads: number[];
  group: number;
  activation: string;
}

/** Naive reference: loop over every output element, every tap, every input channel of its group. */
function naiveConv(x: Value, w: Value, b: Value | undefined, a: ConvCase): { shape: number[]; data: number[] } {
  const [N, H, W] = x.shape;
  const [O, KH, KW, CG] = w.shape;
  const fits = (o: number, k: number, s: number, d: number, extent: number) => o * s + (k - 1) * d + 1 <= extent;
  let OH = 0;
  while (fits(OH, KH, a.strides[0], a.dilations[0], H + a.pads[0] + a.pads[2])) OH++;
  let OW = 0;
  while (fits(OW, KW, a.strides[1], a.dilations[1], W + a.pads[1] + a.pads[3])) OW++;
  const shape = [N, OH, OW, O];
  const [lo, hi] = ACT[a.activation];
  const data: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const [n, oy, ox, o] = unravel(i, shape);
    const g = Math.floor(o / (O / a.group));
    let sum = b ? b.data[o] : 0;
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++)
        for (let cg = 0; cg < CG; cg++) {
          const iy = oy * a.strides[0] + ky * a.dilations[0] - a.pads[0];
          const ix = ox * a.strides[1] + kx * a.dilations[1] - a.pads[1];
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          sum += x.data[ravel([n, iy, ix, g * CG + cg], x.shape)] * w.data[ravel([o, ky, kx, cg], w.shape)];
        }
    data.push(Math.min(hi, Math.max(lo, sum)));
  }
  return { shape, data };
}

function macsOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, any>): number {
  const def = getOp(op);
  const n = node(op, attrs);
  const a = normalizeAttrs(def, attrs, n.name);
  const ctx = { node: n, attrs: a, inputs: inputs.map((v) => (v ? { dtype: v.dtype, shape: v.shape, data: v.data } : undefined)) };
  return def.macs(ctx, def.infer(ctx));
}

function checkCase(r: () => number, xShape: number[], wShape: number[], withBias: boolean, a: ConvCase, what: string): void {
  const x = randVal(r, xShape);
  const w = randVal(r, wShape, 'float32', -1, 1);
  const b = withBias ? randVal(r, [wShape[0]]) : undefined;
  const ref = naiveConv(x, w, b, a);
  const [y] = run('Conv', [x, w, b], { ...a });
  assertClose(y, ref.shape, ref.data, 1e-6, 1e-5, what);
}

test('Conv: seeded random shapes/attrs match the naive reference (groups, depthwise, strides, dilations, asymmetric pads)', () => {
  const r = rng(1234);
  let ran = 0;
  let rejected = 0;
  for (let t = 0; t < 300; t++) {
    const kind = t % 4; // 0 general, 1 depthwise (with multiplier), 2 grouped, 3 1x1
    const cinG = kind === 1 ? 1 : randInt(r, 1, 5);
    const group = kind === 0 || kind === 3 ? 1 : randInt(r, 2, 4);
    const coutG = randInt(r, 1, kind === 1 ? 3 : 6);
    const KH = kind === 3 ? 1 : randInt(r, 1, 4);
    const KW = kind === 3 ? 1 : randInt(r, 1, 4);
    const xShape = [randInt(r, 1, 2), randInt(r, 1, 9), randInt(r, 1, 9), cinG * group];
    const a: ConvCase = {
      strides: [randInt(r, 1, 3), randInt(r, 1, 3)],
      dilations: [randInt(r, 1, 3), randInt(r, 1, 3)],
      pads: [randInt(r, 0, 3), randInt(r, 0, 3), randInt(r, 0, 3), randInt(r, 0, 3)],
      group,
      activation: ['none', 'relu', 'relu6', 'relu_n1_to_1'][randInt(r, 0, 3)],
    };
    const wShape = [coutG * group, KH, KW, cinG];
    const what = `case ${t} x=[${xShape}] w=[${wShape}] ${JSON.stringify(a)}`;
    const ref = naiveConv(randVal(r, xShape), randVal(r, wShape), undefined, a);
    if (ref.shape[1] === 0 || ref.shape[2] === 0) {
      // the dilated window does not fit the padded input: a coded shape error, not an empty tensor
      throwsCode(() => run('Conv', [randVal(r, xShape), randVal(r, wShape)], { ...a }), 'EF1004');
      rejected++;
      continue;
    }
    checkCase(r, xShape, wShape, r() < 0.7, a, what);
    ran++;
  }
  assert.ok(ran > 200 && rejected > 0, `ran ${ran}, rejected ${rejected}`);
});

test('Conv: MNIST-sized layers (28x28x1 -> 8 5x5 same, 14x14x8 -> 16 5x5 same) match the reference', () => {
  const r = rng(7);
  const same = { strides: [1, 1], dilations: [1, 1], pads: [2, 2, 2, 2], group: 1, activation: 'relu' };
  checkCase(r, [1, 28, 28, 1], [8, 5, 5, 1], true, same, 'conv1');
  checkCase(r, [1, 14, 14, 8], [16, 5, 5, 8], true, same, 'conv2');
  // MobileNet-style depthwise 3x3 stride 2 and pointwise 1x1
  checkCase(r, [1, 16, 16, 12], [12, 3, 3, 1], true, { ...same, pads: [0, 0, 1, 1], strides: [2, 2], group: 12, activation: 'relu6' }, 'dw');
  checkCase(r, [1, 8, 8, 12], [20, 1, 1, 12], true, { ...same, pads: [0, 0, 0, 0], activation: 'none' }, 'pw');
});

test('Conv: 1x1 kernel with padding yields bias-only border pixels', () => {
  const r = rng(99);
  checkCase(r, [1, 3, 4, 5], [6, 1, 1, 5], true, { strides: [2, 1], dilations: [1, 1], pads: [1, 2, 1, 0], group: 1, activation: 'none' }, '1x1 padded');
  checkCase(r, [2, 3, 3, 6], [4, 1, 1, 3], false, { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 2, activation: 'none' }, '1x1 grouped padded');
});

test('Conv: hand-checked values', () => {
  // X = 1..9 as a 3x3 single-channel image, W = 2x2 of ones: each output sums a 2x2 block.
  const x = val('float32', [1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = val('float32', [1, 2, 2, 1], [1, 1, 1, 1]);
  // no padding: 1+2+4+5=12, 2+3+5+6=16, 4+5+7+8=24, 5+6+8+9=28
  assertClose(run('Conv', [x, w])[0], [1, 2, 2, 1], [12, 16, 24, 28]);
  // pads top=1,left=1 only, stride 2: windows start at (-1,-1),(-1,1),(1,-1),(1,1)
  // -> x00=1 ; x01+x02=2+3=5 ; x10+x20=4+7=11 ; 5+6+8+9=28
  assertClose(run('Conv', [x, w], { pads: [1, 1, 0, 0], strides: [2, 2] })[0], [1, 2, 2, 1], [1, 5, 11, 28]);
  // bias -20 and relu: 12-20<0 -> 0, 16-20 -> 0, 24-20=4, 28-20=8
  assertClose(run('Conv', [x, w, val('float32', [1], [-20])], { activation: 'relu' })[0], [1, 2, 2, 1], [0, 0, 4, 8]);
  // dilation 2, 2x2 kernel on 3x3: one window, the four corners 1+3+7+9 = 20
  assertClose(run('Conv', [x, w], { dilations: [2, 2] })[0], [1, 1, 1, 1], [20]);
  // depthwise with multiplier 2 on a 1x1 image with 2 channels [3, 5]: W per output channel [1,2,3,4]
  // -> out = [3*1, 3*2, 5*3, 5*4] = [3, 6, 15, 20]
  const xd = val('float32', [1, 1, 1, 2], [3, 5]);
  const wd = val('float32', [4, 1, 1, 1], [1, 2, 3, 4]);
  assertClose(run('Conv', [xd, wd], { group: 2 })[0], [1, 1, 1, 4], [3, 6, 15, 20]);
});

test('Conv: bad shapes and attributes give coded diagnostics naming the node', () => {
  const x = val('float32', [1, 4, 4, 2], new Array(32).fill(1));
  const w = val('float32', [3, 2, 2, 2], new Array(24).fill(1));
  throwsCode(() => run('Conv', [val('float32', [4, 4, 2], new Array(32).fill(1)), w]), 'EF1004'); // rank 3
  throwsCode(() => run('Conv', [x, val('float32', [3, 2, 2, 3], new Array(36).fill(1))]), 'EF1004'); // Cin mismatch
  throwsCode(() => run('Conv', [x, w, val('float32', [2], [0, 0])]), 'EF1004'); // bias size
  throwsCode(() => run('Conv', [x, w], { strides: [0, 1] }), 'EF1006');
  throwsCode(() => run('Conv', [x, w], { pads: [0, 0, 0] }), 'EF1006');
  throwsCode(() => run('Conv', [x, w], { pads: [-1, 0, 0, 0] }), 'EF1006');
  throwsCode(() => run('Conv', [x, w], { dilations: [1, 1e9] }), 'EF1006'); // absurd attribute
  throwsCode(() => run('Conv', [x, val('float32', [3, 2, 2, 1], new Array(12).fill(1))], { group: 3 }), 'EF1006'); // 3 ∤ 2
  throwsCode(() => run('Conv', [x, val('float32', [3, 2, 2, 1], new Array(12).fill(1))], { group: 2 }), 'EF1004'); // 2 ∤ Cout 3
  throwsCode(() => run('Conv', [x, val('float32', [1, 5, 5, 2], new Array(50).fill(1))]), 'EF1004'); // kernel > input
  // absurd sizes are refused before any allocation
  const def = getOp('Conv');
  const n = node('Conv');
  const attrs = normalizeAttrs(def, {}, n.name);
  throwsCode(() => def.infer({ node: n, attrs, inputs: [{ dtype: 'float32', shape: [1, 100000, 100000, 8] }, { dtype: 'float32', shape: [4, 1, 1, 8] }] }), 'EF1007');
  throwsCode(() => def.infer({ node: n, attrs, inputs: [{ dtype: 'float32', shape: [1, 4, 0, 8] }, { dtype: 'float32', shape: [4, 1, 1, 8] }] }), 'EF1004');
});

test('Conv: macs = N*OH*OW*Cout*KH*KW*Cin/group', () => {
  const x = randVal(rng(1), [1, 28, 28, 1]);
  assert.equal(macsOf('Conv', [x, randVal(rng(2), [8, 5, 5, 1])], { pads: [2, 2, 2, 2] }), 28 * 28 * 8 * 25);
  const x2 = randVal(rng(1), [2, 10, 10, 6]);
  // depthwise multiplier 2: Cout 12, Cin/group 1, 3x3 stride 2 no pad -> 4x4 output
  assert.equal(macsOf('Conv', [x2, randVal(rng(2), [12, 3, 3, 1])], { group: 6, strides: [2, 2] }), 2 * 4 * 4 * 12 * 9);
  // grouped: group 2, Cin/group 3
  assert.equal(macsOf('Conv', [x2, randVal(rng(2), [4, 1, 1, 3])], { group: 2 }), 2 * 10 * 10 * 4 * 3);
});
