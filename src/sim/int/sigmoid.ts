// Sigmoid on integers: TFLM LOGISTIC int8 (INT8-ARITHMETIC.md §16): gemmlowp logistic on Q4.27, output
// RDBPOT(·, 23) − 128 with s_out = 1/256, zp_out = −128.

import type { IntKernel } from '../../ops/types.js';
import { logistic, mbqm, rdbpot } from '../../quant/fixedpoint.js';
import { need, newOut, qn } from './common.js';
import { INPUT_INT_BITS, prepareLogistic } from './logistic-common.js';

export const kernel: IntKernel = {
  prepare: (node, g) => prepareLogistic(node, g, 1 / 256, -128),
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
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
        v = rdbpot(logistic(mbqm(d, m, l), INPUT_INT_BITS), 23) - 128;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
      }
      yd[i] = v;
    }
    return [out];
  },
};
