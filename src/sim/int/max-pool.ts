// MaxPool on integers: TFLM MAX_POOL_2D: the maximum over in-bounds taps, then the fused-activation clamp.

import type { ClampParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { need, newOut, qn } from './common.js';
import { poolAttrs, preparePool } from './pool-common.js';

export const kernel: IntKernel<ClampParams> = {
  prepare: preparePool,
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
    const mx = new Int32Array(C);
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          mx.fill(-2147483648);
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const b = ((n * H + iy) * W + ix) * C;
              for (let c = 0; c < C; c++) if (xd[b + c] > mx[c]) mx[c] = xd[b + c];
            }
          }
          const ob = ((n * OH + oy) * OW + ox) * C;
          for (let c = 0; c < C; c++) {
            const v = mx[c];
            yd[ob + c] = v < lo ? lo : v > hi ? hi : v;
          }
        }
    return [out];
  },
};
