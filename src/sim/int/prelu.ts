// PRelu on integers: TFLM PRELU (reference BroadcastPrelu4DSlow). Two multipliers from Prepare, in double:
//   identity (M1, S1) = QM(s_in / s_out), alpha (M2, S2) = QM(s_in · s_alpha / s_out).
// Per element, d = x − zp_in: d >= 0 → MBQM(d, M1, S1); else MBQM(d · (a − zp_alpha), M2, S2); then + zp_out,
// clamped to the output dtype. The alpha tensor (constant or not) broadcasts to X.

import type { PReluParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { broadcastIndex } from '../../ops/util.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { dtypeRange } from '../../ir/dtype.js';
import { cached, need, newOut, qn } from './common.js';

export const kernel: IntKernel<PReluParams> = {
  prepare(node, g) {
    const [xId, aId] = node.inputs;
    const yId = node.outputs[0];
    actDType(g, xId, node);
    actDType(g, yId, node);
    const x = scaleZp(g, xId, node, 'input');
    const a = scaleZp(g, aId, node, 'alpha');
    const y = scaleZp(g, yId, node, 'output');
    const [m1, s1] = qm(x.s / y.s, node, 'identity');
    const [m2, s2] = qm((x.s * a.s) / y.s, node, 'alpha');
    return { in_zp: x.zp, alpha_zp: a.zp, out_zp: y.zp, mult_identity: m1, shift_identity: s1, mult_alpha: m2, shift_alpha: s2 };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const a = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const ia = cached(node, () => broadcastIndex(a.shape, x.shape));
    const zi = qn(node, 'in_zp');
    const za = qn(node, 'alpha_zp');
    const zo = qn(node, 'out_zp');
    const m1 = qn(node, 'mult_identity');
    const s1 = qn(node, 'shift_identity');
    const m2 = qn(node, 'mult_alpha');
    const s2 = qn(node, 'shift_alpha');
    const [lo, hi] = dtypeRange(out.dtype);
    const xd = x.data;
    const ad = a.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const d = xd[i] - zi;
      const v = zo + (d >= 0 ? mbqm(d, m1, s1) : mbqm(Math.imul(d, ad[ia[i]] - za), m2, s2));
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return [out];
  },
};
