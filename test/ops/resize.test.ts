// Resize (NHWC, H and W) against a naive per-element reference of the ONNX formulas: linear mode reads the
// two neighbours floor(x), floor(x)+1 with edge-clamped *indices* (ONNX's edge padding) rather than the
// kernel's clamped coordinate; nearest applies the rounding rule by cases. Hand values, errors, MACs.
//
// Tolerance: bilinear weights in doubles, combined in a different order: rtol 1e-6, atol 1e-6.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, node, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

const CTMS = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NMS = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function src(ctm: string, o: number, len: number, out: number, s: number): number {
  if (ctm === 'align_corners') return out === 1 ? 0 : (o * (len - 1)) / (out - 1);
  if (ctm === 'asymmetric') return o / s;
  if (ctm === 'tf_half_pixel_for_nn') return (o + 0.5) / s;
  if (ctm === 'pytorch_half_pixel') return out === 1 ? 0 : (o + 0.5) / s - 0.5;
  if (ctm === 'half_pixel_symmetric') {
    const adj = out / (s * len);
    return (len / 2) * (1 - adj) + (o + 0.5) / s - 0.5;
  }
  return (o + 0.5) / s - 0.5;
}

function roundBy(nm: string, v: number): number {
  const f = Math.floor(v);
  if (v === f) return f;
  if (nm === 'floor') return f;
  if (nm === 'ceil') return f + 1;
  if (v - f === 0.5) return nm === 'round_prefer_floor' ? f : f + 1;
  return v - f < 0.5 ? f : f + 1;
}

function naiveResize(x: Value, sizes: number[], mode: string, ctm: string, nm: string, scales?: number[]): number[] {
  const [, H, W] = x.shape;
  const [, OH, OW, C] = sizes;
  const sh = scales ? scales[1] : OH / H;
  const sw = scales ? scales[2] : OW / W;
  const cl = (i: number, n: number) => Math.min(n - 1, Math.max(0, i));
  const at = (n: number, y: number, xx: number, c: number) => x.data[ravel([n, cl(y, H), cl(xx, W), c], x.shape)];
  const out: number[] = [];
  for (let i = 0; i < size(sizes); i++) {
    const [n, oy, ox, c] = unravel(i, sizes);
    const y = src(ctm, oy, H, OH, sh);
    const xx = src(ctm, ox, W, OW, sw);
    if (mode === 'nearest') out.push(at(n, roundBy(nm, y), roundBy(nm, xx), c));
    else {
      const y0 = Math.floor(y);
      const x0 = Math.floor(xx);
      const ry = y - y0;
      const rx = xx - x0;
      out.push(
        (1 - ry) * (1 - rx) * at(n, y0, x0, c) + (1 - ry) * rx * at(n, y0, x0 + 1, c) + ry * (1 - rx) * at(n, y0 + 1, x0, c) + ry * rx * at(n, y0 + 1, x0 + 1, c),
      );
    }
    void C;
  }
  return out;
}

test('Resize: random sizes, modes, coordinate and nearest modes match the naive reference', () => {
  const r = rng(41);
  for (let t = 0; t < 200; t++) {
    const x = randVal(r, [randInt(r, 1, 2), randInt(r, 1, 6), randInt(r, 1, 6), randInt(r, 1, 3)]);
    const sizes = [x.shape[0], randInt(r, 1, 11), randInt(r, 1, 11), x.shape[3]];
    const mode = t % 2 ? 'linear' : 'nearest';
    const ctm = CTMS[randInt(r, 0, CTMS.length - 1)];
    const nm = NMS[randInt(r, 0, NMS.length - 1)];
    const withScales = t % 5 === 0;
    const scales = withScales ? [1, sizes[1] / x.shape[1] + 0.1 * r(), sizes[2] / x.shape[2] + 0.1 * r(), 1] : undefined;
    const attrs: Record<string, any> = { mode, coordinate_transformation_mode: ctm, nearest_mode: nm, sizes };
    if (scales) attrs.scales = scales;
    const exp = naiveResize(x, sizes, mode, ctm, nm, scales);
    assertClose(run('Resize', [x], attrs)[0], sizes, exp, 1e-6, 1e-6, `case ${t} ${JSON.stringify(attrs)} x=[${x.shape}]`);
  }
});

test('Resize: hand values, errors, macs', () => {
  const x = val('float32', [1, 1, 2, 1], [1, 2]);
  // nearest asymmetric floor, 2 → 4: source x = 0, 0.5, 1, 1.5 → indices 0,0,1,1
  assertClose(run('Resize', [x], { sizes: [1, 1, 4, 1], coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })[0], [1, 1, 4, 1], [1, 1, 2, 2]);
  // linear align_corners 2 → 3: source 0, 0.5, 1 → 1, 1.5, 2
  assertClose(run('Resize', [x], { sizes: [1, 1, 3, 1], mode: 'linear', coordinate_transformation_mode: 'align_corners' })[0], [1, 1, 3, 1], [1, 1.5, 2]);
  // linear half_pixel 2 → 4: source -0.25, 0.25, 0.75, 1.25 → clamped to the edges: 1, 1.25, 1.75, 2
  assertClose(run('Resize', [x], { sizes: [1, 1, 4, 1], mode: 'linear' })[0], [1, 1, 4, 1], [1, 1.25, 1.75, 2]);
  // explicit scales (ONNX scales input): 4 → 2 with scale 0.6, half_pixel: source (0.5/0.6)-0.5 = 1/3 and
  // 1.5/0.6-0.5 = 2 → on [1,2,3,4]: 1 + 1/3 and 3
  const x4 = val('float32', [1, 1, 4, 1], [1, 2, 3, 4]);
  assertClose(run('Resize', [x4], { sizes: [1, 1, 2, 1], mode: 'linear', scales: [1, 1, 0.6, 1] })[0], [1, 1, 2, 1], [4 / 3, 3]);
  throwsCode(() => run('Resize', [x], {}), 'EF1006'); // sizes required
  throwsCode(() => run('Resize', [x], { sizes: [1, 1, 4, 2] }), 'EF1006'); // changes C
  throwsCode(() => run('Resize', [x], { sizes: [1, 0, 4, 1] }), 'EF1006');
  throwsCode(() => run('Resize', [x], { sizes: [1, 1, 4, 1], scales: [1, 1, -2, 1] }), 'EF1006');
  throwsCode(() => run('Resize', [x], { sizes: [1, 100000, 100000, 1] }), 'EF1007');
  throwsCode(() => run('Resize', [val('float32', [2, 1], [1, 2])], { sizes: [1, 1, 4, 1] }), 'EF1004');
  const def = getOp('Resize');
  const n = node('Resize');
  const inputs = [{ dtype: 'float32' as const, shape: [1, 4, 4, 3] }];
  const lin = { node: n, attrs: normalizeAttrs(def, { sizes: [1, 8, 8, 3], mode: 'linear' }, n.name), inputs };
  assert.equal(def.macs(lin, def.infer(lin)), 4 * 8 * 8 * 3);
  const near = { node: n, attrs: normalizeAttrs(def, { sizes: [1, 8, 8, 3] }, n.name), inputs };
  assert.equal(def.macs(near, def.infer(near)), 0);
});
