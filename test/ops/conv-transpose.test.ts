// ConvTranspose: the scatter kernel against a naive gather reference (each output element sums the input
// pixels and taps that land on it), seeded random shapes/attrs, hand-checked values, errors and MACs.
//
// Tolerance: both sides sum in doubles in different orders and round once to float32: rtol 1e-6, atol 1e-5.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, node, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

interface CTCase {
  strides: number[];
  dilations: number[];
  pads: number[];
  output_padding: number[];
  group: number;
  activation: string;
}

function naive(x: Value, w: Value, b: Value | undefined, a: CTCase): { shape: number[]; data: number[] } {
  const [N, H, W, C] = x.shape;
  const [, KH, KW, OG] = w.shape;
  const CG = C / a.group;
  const full = (i: number, k: number, s: number, d: number, op: number) => (i - 1) * s + (k - 1) * d + 1 + op;
  const OH = full(H, KH, a.strides[0], a.dilations[0], a.output_padding[0]) - a.pads[0] - a.pads[2];
  const OW = full(W, KW, a.strides[1], a.dilations[1], a.output_padding[1]) - a.pads[1] - a.pads[3];
  const shape = [N, OH, OW, OG * a.group];
  const data: number[] = [];
  const clamp = a.activation === 'relu' ? (v: number) => Math.max(0, v) : (v: number) => v;
  for (let i = 0; i < size(shape); i++) {
    const [n, oy, ox, o] = unravel(i, shape);
    const g = Math.floor(o / OG);
    let s = b ? b.data[o] : 0;
    for (let iy = 0; iy < H; iy++)
      for (let ky = 0; ky < KH; ky++) {
        if (iy * a.strides[0] + ky * a.dilations[0] !== oy + a.pads[0]) continue;
        for (let ix = 0; ix < W; ix++)
          for (let kx = 0; kx < KW; kx++) {
            if (ix * a.strides[1] + kx * a.dilations[1] !== ox + a.pads[1]) continue;
            for (let c = 0; c < CG; c++)
              s += x.data[ravel([n, iy, ix, g * CG + c], x.shape)] * w.data[ravel([g * CG + c, ky, kx, o - g * OG], w.shape)];
          }
      }
    data.push(clamp(s));
  }
  return { shape, data };
}

test('ConvTranspose: seeded random cases match the naive gather reference', () => {
  const r = rng(4321);
  let ran = 0;
  for (let t = 0; t < 150; t++) {
    const group = randInt(r, 1, 3);
    const CG = randInt(r, 1, 3);
    const OG = randInt(r, 1, 3);
    const KH = randInt(r, 1, 4);
    const KW = randInt(r, 1, 4);
    const s = [randInt(r, 1, 3), randInt(r, 1, 3)];
    const a: CTCase = {
      strides: s,
      dilations: [randInt(r, 1, 2), randInt(r, 1, 2)],
      pads: [randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2)],
      output_padding: [randInt(r, 0, s[0] - 1), randInt(r, 0, s[1] - 1)],
      group,
      activation: r() < 0.3 ? 'relu' : 'none',
    };
    const x = randVal(r, [randInt(r, 1, 2), randInt(r, 1, 5), randInt(r, 1, 5), CG * group]);
    const w = randVal(r, [CG * group, KH, KW, OG], 'float32', -1, 1);
    const b = r() < 0.5 ? randVal(r, [OG * group]) : undefined;
    const ref = naive(x, w, b, a);
    if (ref.shape[1] < 1 || ref.shape[2] < 1) {
      throwsCode(() => run('ConvTranspose', [x, w, b], { ...a }), 'EF1004');
      continue;
    }
    assertClose(run('ConvTranspose', [x, w, b], { ...a })[0], ref.shape, ref.data, 1e-6, 1e-5, `case ${t} ${JSON.stringify(a)}`);
    ran++;
  }
  assert.ok(ran > 100, `ran ${ran}`);
});

test('ConvTranspose: hand-checked values', () => {
  // 1-D (H=1): x = [1, 2], kernel [1, 10, 100], stride 2 → full output length (2-1)*2+3 = 5:
  // pos 0: 1*1, pos 1: 1*10, pos 2: 1*100 + 2*1 = 102, pos 3: 2*10 = 20, pos 4: 2*100 = 200
  const x = val('float32', [1, 1, 2, 1], [1, 2]);
  const w = val('float32', [1, 1, 3, 1], [1, 10, 100]);
  assertClose(run('ConvTranspose', [x, w], { strides: [1, 2] })[0], [1, 1, 5, 1], [1, 10, 102, 20, 200]);
  // pads left 1 right 2 crop the ends: [10, 102]; output_padding 1 adds a bias-only column: bias 0.5 →
  // full length 6 = [1.5, 10.5, 102.5, 20.5, 200.5, 0.5], cropped [1..6-2) → [10.5, 102.5, 20.5]
  assertClose(run('ConvTranspose', [x, w], { strides: [1, 2], pads: [0, 1, 0, 2] })[0], [1, 1, 2, 1], [10, 102]);
  assertClose(
    run('ConvTranspose', [x, w, val('float32', [1], [0.5])], { strides: [1, 2], pads: [0, 1, 0, 2], output_padding: [0, 1] })[0],
    [1, 1, 3, 1],
    [10.5, 102.5, 20.5],
  );
});

test('ConvTranspose: errors and macs', () => {
  const x = val('float32', [1, 2, 2, 2], new Array(8).fill(1));
  const w = val('float32', [2, 3, 3, 1], new Array(18).fill(1));
  throwsCode(() => run('ConvTranspose', [x, val('float32', [3, 3, 3, 1], new Array(27).fill(1))]), 'EF1004'); // Cin
  throwsCode(() => run('ConvTranspose', [x, w], { output_padding: [0] }), 'EF1006');
  throwsCode(() => run('ConvTranspose', [x, w], { group: 3 }), 'EF1006');
  throwsCode(() => run('ConvTranspose', [x, w], { pads: [2, 2, 2, 2] }), 'EF1004'); // crops everything (4 - 4 = 0)
  throwsCode(() => run('ConvTranspose', [x, w, val('float32', [2], [0, 0])]), 'EF1004'); // bias [Cout=1]
  const def = getOp('ConvTranspose');
  const n = node('ConvTranspose');
  const attrs = normalizeAttrs(def, { strides: [60000, 60000] }, n.name);
  const big = { node: n, attrs, inputs: [{ dtype: 'float32' as const, shape: [1, 100, 100, 2] }, { dtype: 'float32' as const, shape: [2, 3, 3, 1] }] };
  throwsCode(() => def.infer(big), 'EF1007'); // ~6e6 x 6e6 output refused before allocation
  const a = normalizeAttrs(def, { group: 2 }, n.name);
  const ctx = { node: n, attrs: a, inputs: [{ dtype: 'float32' as const, shape: [2, 5, 4, 6] }, { dtype: 'float32' as const, shape: [6, 3, 2, 4] }] };
  // every input pixel x every tap x (Cin/group input channels... counted per input channel) x Cout/group
  assert.equal(def.macs(ctx, def.infer(ctx)), 2 * 5 * 4 * 6 * 3 * 2 * 4);
});
