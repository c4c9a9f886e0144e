// BatchNormalization (channel = last axis) against the formula written per element, hand values, errors.
//
// Tolerance: the kernel folds 1/sqrt(var+eps)*scale first; rounding differs from the literal formula by a
// few float32 ulps: rtol 1e-5, atol 1e-6.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import { assertClose, node, randInt, randVal, rng, run, throwsCode, val } from './kit.js';

test('BatchNormalization: random NHWC and [N,C] inputs match the formula', () => {
  const r = rng(31);
  for (let t = 0; t < 30; t++) {
    const C = randInt(r, 1, 6);
    const shape = t % 2 ? [randInt(r, 1, 3), C] : [randInt(r, 1, 2), randInt(r, 1, 4), randInt(r, 1, 4), C];
    const x = randVal(r, shape);
    const [scale, bias, mean] = [randVal(r, [C]), randVal(r, [C]), randVal(r, [C])];
    const vr = randVal(r, [C], 'float32', 0.01, 3);
    const eps = t % 3 === 0 ? 1e-3 : 1e-5;
    const exp = Array.from(x.data, (v, i) => {
      const c = i % C;
      return ((v - mean.data[c]) / Math.sqrt(vr.data[c] + eps)) * scale.data[c] + bias.data[c];
    });
    assertClose(run('BatchNormalization', [x, scale, bias, mean, vr], { epsilon: eps })[0], shape, exp, 1e-5, 1e-6, `case ${t}`);
  }
});

test('BatchNormalization: hand values, errors, macs', () => {
  // channel 0: (3-1)/sqrt(4+0)*2+1 = 3 ; channel 1: (10-0)/sqrt(1)*0.5-1 = 4
  const p = (a: number[]) => val('float32', [2], a);
  const y = run('BatchNormalization', [val('float32', [1, 2], [3, 10]), p([2, 0.5]), p([1, -1]), p([1, 0]), p([4, 1])], { epsilon: 0 })[0];
  assertClose(y, [1, 2], [3, 4]);
  throwsCode(() => run('BatchNormalization', [val('float32', [1, 3], [1, 2, 3]), p([1, 1]), p([0, 0]), p([0, 0]), p([1, 1])]), 'EF1004');
  throwsCode(() => run('BatchNormalization', [val('float32', [1, 2], [1, 2]), p([1, 1]), p([0, 0]), p([0, 0]), undefined]), 'EF1009');
  throwsCode(() => run('BatchNormalization', [val('float32', [1, 2], [1, 2]), p([1, 1]), p([0, 0]), p([0, 0]), p([1, 1])], { epsilon: -1 }), 'EF1006');
  const def = getOp('BatchNormalization');
  const n = node('BatchNormalization');
  const c = { dtype: 'float32' as const, shape: [8] };
  const ctx = { node: n, attrs: normalizeAttrs(def, {}, n.name), inputs: [{ dtype: 'float32' as const, shape: [1, 5, 5, 8] }, c, c, c, c] };
  assert.equal(def.macs(ctx, def.infer(ctx)), 200);
});
