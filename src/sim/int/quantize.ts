// Quantize on integers (INT8-ARITHMETIC.md §14). float → int: clamp(rha(f32(x / s)) + zp) with the output
// tensor's quantization (per-channel along its axis when it has several scales). int → int (TFLite requantize):
// (M, S) = QM(s_in/s_out), y = clamp(MBQM(x − zp_in, M, S) + zp_out).

import { fail } from '../../diagnostics.js';
import { dtypeRange, isIntegerDType, stridesOf } from '../../ir/dtype.js';
import type { QuantizeParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, rha } from '../../arith/fixedpoint.js';
import { actDType, qm, quantOf, scaleZp } from './prepare.js';
import { need, newOut, qn } from './common.js';

export const kernel: IntKernel<QuantizeParams> = {
  prepare(node, g): QuantizeParams {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    actDType(g, yId, node);
    const xt = g.tensors[xId];
    if (!isIntegerDType(xt.dtype)) {
      const q = quantOf(g, yId, node, 'output');
      return { requant: 0, out_zp: q.zeroPoint[0] ?? 0 };
    }
    actDType(g, xId, node);
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const [mult, shift] = qm(x.s / y.s, node, 'output');
    return { requant: 1, in_zp: x.zp, out_zp: y.zp, mult, shift };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const [lo, hi] = dtypeRange(out.dtype);
    const xd = x.data;
    const yd = out.data;
    if (qn(node, 'requant') === 1) {
      const zi = qn(node, 'in_zp');
      const zo = qn(node, 'out_zp');
      const m = qn(node, 'mult');
      const s = qn(node, 'shift');
      for (let i = 0; i < xd.length; i++) {
        const v = mbqm(xd[i] - zi, m, s) + zo;
        yd[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return [out];
    }
    const q = g.tensors[node.outputs[0]].quant!;
    const nq = q.scale.length;
    const f = Math.fround;
    if (nq === 1) {
      const s = f(q.scale[0]);
      const zp = q.zeroPoint[0] ?? 0;
      for (let i = 0; i < xd.length; i++) {
        const v = rha(f(xd[i] / s)) + zp;
        yd[i] = v < lo ? lo : v > hi ? hi : v;
      }
    } else {
      const axis = q.axis < 0 ? q.axis + out.shape.length : q.axis;
      if (out.shape[axis] !== nq) fail('EF1010', `Quantize output has ${nq} scales for axis ${axis} of size ${out.shape[axis]}`, { node: node.name });
      const st = stridesOf(out.shape)[axis];
      for (let i = 0; i < xd.length; i++) {
        const c = Math.floor(i / st) % nq;
        const v = rha(f(xd[i] / f(q.scale[c]))) + (q.zeroPoint[c] ?? 0);
        yd[i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
    return [out];
  },
};
