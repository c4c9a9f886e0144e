// Dequantize: float32(double(s)·(q − zp)) with the input tensor's quantization (per-channel along its axis).

import { fail } from '../../diagnostics.js';
import { stridesOf } from '../../ir/dtype.js';
import type { DequantizeParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { actDType, quantOf } from './prepare.js';
import { need, newOut } from './common.js';

export const kernel: IntKernel<DequantizeParams> = {
  prepare(node, g) {
    actDType(g, node.inputs[0], node);
    const q = quantOf(g, node.inputs[0], node, 'input');
    return { in_zp: q.zeroPoint[0] ?? 0 };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const q = g.tensors[node.inputs[0]].quant!;
    const nq = q.scale.length;
    const axis = q.axis < 0 ? q.axis + x.shape.length : q.axis;
    if (nq > 1 && x.shape[axis] !== nq) fail('EF1010', `Dequantize input has ${nq} scales for axis ${axis}`, { node: node.name });
    const st = nq > 1 ? stridesOf(x.shape)[axis] : 1;
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const c = nq > 1 ? Math.floor(i / st) % nq : 0;
      yd[i] = Math.fround(q.scale[c]) * (xd[i] - (q.zeroPoint[c] ?? 0));
    }
    return [out];
  },
};
