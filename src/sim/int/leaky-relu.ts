// LeakyRelu on integers: TFLM LEAKY_RELU: two multipliers, identity = QM(f32(s_in/s_out)) for x >= zp_in and
// alpha = QM(f32(f32(s_in·alpha)/s_out)) below (float32 arithmetic, as leaky_relu_common.cc does).

import { dtypeRange } from '../../ir/dtype.js';
import type { LeakyReluParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

export const kernel: IntKernel<LeakyReluParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    actDType(g, xId, node);
    actDType(g, yId, node);
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const f = Math.fround;
    const alpha = f(attrOr(node, 'alpha', 0.01) as number);
    const [ma, sa] = qm(f(f(x.s * alpha) / y.s), node, 'alpha');
    const [mi, si] = qm(f(x.s / y.s), node, 'identity');
    return { in_zp: x.zp, out_zp: y.zp, mult_alpha: ma, shift_alpha: sa, mult_identity: mi, shift_identity: si };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const zi = qn(node, 'in_zp');
    const zo = qn(node, 'out_zp');
    const ma = qn(node, 'mult_alpha');
    const sa = qn(node, 'shift_alpha');
    const mi = qn(node, 'mult_identity');
    const si = qn(node, 'shift_identity');
    const [lo, hi] = dtypeRange(out.dtype);
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const d = xd[i] - zi;
      const v = zo + (d >= 0 ? mbqm(d, mi, si) : mbqm(d, ma, sa));
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return [out];
  },
};
