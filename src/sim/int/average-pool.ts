// AveragePool on integers: TFLM AVERAGE_POOL_2D (INT8-ARITHMETIC.md §8): the sum of the in-bounds taps of the
// raw values, divided by their count with rounding half away from zero, then clamped. count_include_pad = 1
// with non-zero pads has no TFLM counterpart and is refused.

import { fail } from '../../diagnostics.js';
import type { ClampParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { attrOr, need, newOut, qn } from './common.js';
import { poolAttrs, preparePool } from './pool-common.js';

export const kernel: IntKernel<ClampParams> = {
  prepare(node, g) {
    const pads = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
    if ((attrOr(node, 'count_include_pad', 0) as number) === 1 && pads.some((p) => p !== 0))
      fail('EF3002', 'AveragePool with count_include_pad=1 and padding has no integer kernel (TFLite counts in-bounds taps only)', { node: node.name });
    return preparePool(node, g);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, C] = x.shape;
    const [, OH, OW] = out.shape;
    const { kh, kw, sh, sw, dh, dw, pt, pl } = poolAttrs(node);
    const lo = qn(node, 'act_min');
    const hi = qn(node, 'act_max');
    const xd = x.data;
    const yd = out.data;
    const acc = new Int32Array(C);
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          acc.fill(0);
          let cnt = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              cnt++;
              const b = ((n * H + iy) * W + ix) * C;
              for (let c = 0; c < C; c++) acc[c] += xd[b + c];
            }
          }
          const ob = ((n * OH + oy) * OW + ox) * C;
          const half = (cnt / 2) | 0;
          for (let c = 0; c < C; c++) {
            const s = acc[c];
            let v = cnt === 0 ? 0 : s > 0 ? Math.trunc((s + half) / cnt) : Math.trunc((s - half) / cnt);
            v = v < lo ? lo : v > hi ? hi : v;
            yd[ob + c] = v;
          }
        }
    return [out];
  },
};
