// Mul on integers: TFLM MUL (INT8-ARITHMETIC.md §10): y = zp_out + MBQM((x1 − zp1)(x2 − zp2), M, S),
// (M, S) = QM(s1·s2/s_out) in double. Numpy broadcasting.

import type { MulParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { broadcastIndex } from '../../ops/util.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType, activationRangeQ, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

export const kernel: IntKernel<MulParams> = {
  prepare(node, g) {
    const [aId, bId] = node.inputs;
    const yId = node.outputs[0];
    actDType(g, aId, node);
    actDType(g, bId, node);
    const outDt = actDType(g, yId, node);
    const a = scaleZp(g, aId, node, 'input 0');
    const b = scaleZp(g, bId, node, 'input 1');
    const y = scaleZp(g, yId, node, 'output');
    const [mult, shift] = qm((a.s * b.s) / y.s, node, 'output');
    const [actMin, actMax] = activationRangeQ(attrOr(node, 'activation', 'none'), y.s, y.zp, outDt, node);
    return { in_zp: a.zp, in2_zp: b.zp, out_zp: y.zp, act_min: actMin, act_max: actMax, mult, shift };
  },
  eval(inputs, node, g) {
    const a = need(inputs, 0, node);
    const b = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const ia = broadcastIndex(a.shape, out.shape);
    const ib = broadcastIndex(b.shape, out.shape);
    const zpa = qn(node, 'in_zp');
    const zpb = qn(node, 'in2_zp');
    const zpo = qn(node, 'out_zp');
    const m = qn(node, 'mult');
    const s = qn(node, 'shift');
    const lo = qn(node, 'act_min');
    const hi = qn(node, 'act_max');
    const ad = a.data;
    const bd = b.data;
    const yd = out.data;
    for (let i = 0; i < yd.length; i++) {
      const v = zpo + mbqm(((ad[ia[i]] - zpa) * (bd[ib[i]] - zpb)) | 0, m, s);
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return [out];
  },
};
