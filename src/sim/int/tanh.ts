// Tanh on integers: TFLM TANH int8: gemmlowp tanh on Q4.27, output RDBPOT(·, 24) with s_out = 1/128, zp_out = 0.
// int16 → int16 (TFLM reference_integer_ops::Tanh for int16): tanh(x) = 2·sigmoid(2x) − 1 from the sigmoid(i/24)
// table at |v| >> 8 with 8 interpolation bits; output in Q0.15.

import type { LogisticParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, rdbpot, tanh } from '../../arith/fixedpoint.js';
import { need, newOut, qn } from './common.js';
import { INPUT_INT_BITS, logisticInput16, prepareLogistic } from './logistic-common.js';
import { SIGMOID_TABLE_UINT16 as T } from './lut16.js';

export const kernel: IntKernel<LogisticParams> = {
  prepare: (node, g) => prepareLogistic(node, g, 1 / 128, 0),
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    if (x.dtype === 'int16') {
      const { mult, shift, round } = logisticInput16(node);
      const xd = x.data;
      const yd = out.data;
      for (let i = 0; i < xd.length; i++) {
        const v = (xd[i] * mult + round) >> shift;
        const a = v < 0 ? -v : v;
        const uh = a >>> 8;
        let r: number;
        if (uh >= 255) r = 0xffff << 8;
        else {
          const ua = T[uh];
          r = ua * 256 + (a & 0xff) * (T[uh + 1] - ua);
        }
        r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        yd[i] = r >> 8;
      }
      return [out];
    }
    const zp = qn(node, 'in_zp');
    const m = qn(node, 'input_multiplier');
    const l = qn(node, 'input_left_shift');
    const r = qn(node, 'input_range_radius');
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const d = xd[i] - zp;
      let v: number;
      if (d <= -r) v = -128;
      else if (d >= r) v = 127;
      else {
        v = rdbpot(tanh(mbqm(d, m, l), INPUT_INT_BITS), 24);
        v = v < -128 ? -128 : v > 127 ? 127 : v;
      }
      yd[i] = v;
    }
    return [out];
  },
};
