// Tanh on integers: TFLM TANH int8: gemmlowp tanh on Q4.27, output RDBPOT(·, 24) with s_out = 1/128, zp_out = 0.

import type { IntKernel } from '../../ops/types.js';
import { mbqm, rdbpot, tanh } from '../../quant/fixedpoint.js';
import { need, newOut, qn } from './common.js';
import { INPUT_INT_BITS, prepareLogistic } from './logistic-common.js';

export const kernel: IntKernel = {
  prepare: (node, g) => prepareLogistic(node, g, 1 / 128, 0),
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
        v = rdbpot(tanh(mbqm(d, m, l), INPUT_INT_BITS), 24);
        v = v < -128 ? -128 : v > 127 ? 127 : v;
      }
      yd[i] = v;
    }
    return [out];
  },
};
