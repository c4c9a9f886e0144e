// FullyConnected on integers: TFLM FULLY_CONNECTED (INT8-ARITHMETIC.md §7), per-tensor or per-channel filter
// scales. X [..., K] is viewed as [batches, K]; W [N, K]; bias [N]. int16 activations follow the 16x8 kernel
// (no zero points, int64 accumulation when the bias is int64).

import { fail } from '../../diagnostics.js';
import type { ConvParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, mbqm64 } from '../../arith/fixedpoint.js';
import { prepareWeighted } from './conv.js';
import { cached, int32Of, need, newOut, qa, qn } from './common.js';

export const kernel: IntKernel<ConvParams> = {
  prepare(node, g) {
    const w = g.tensors[node.inputs[1]];
    if (!w || w.shape.length !== 2) fail('EF1004', 'FullyConnected weight must be [N,K]', { node: node.name });
    return prepareWeighted(node, g, w.shape[0]);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const [No, K] = w.shape;
    const batches = x.data.length / K;
    if (!Number.isInteger(batches)) fail('EF1004', `FullyConnected input [${x.shape}] is not a multiple of K=${K}`, { node: node.name });
    const int16 = x.dtype === 'int16';
    const inZp = int16 ? 0 : qn(node, 'in_zp');
    const outZp = int16 ? 0 : qn(node, 'out_zp');
    const wZp = qn(node, 'w_zp');
    const actMin = qn(node, 'act_min');
    const actMax = qn(node, 'act_max');
    const acc64 = qn(node, 'acc64') === 1;
    const p = cached(node, () => {
      const bias = new Float64Array(No);
      const b = inputs[2];
      if (b) for (let c = 0; c < No; c++) bias[c] = b.data[c];
      return { mult: int32Of(qa(node, 'mult')), shift: int32Of(qa(node, 'shift')), bias };
    });
    const xd = x.data;
    const wd = w.data;
    const yd = out.data;
    const xs = new Int32Array(K);
    for (let b = 0; b < batches; b++) {
      for (let k = 0; k < K; k++) xs[k] = xd[b * K + k] - inZp;
      for (let o = 0; o < No; o++) {
        let a = 0;
        const wb = o * K;
        if (wZp === 0) for (let k = 0; k < K; k++) a += wd[wb + k] * xs[k];
        else for (let k = 0; k < K; k++) a += (wd[wb + k] - wZp) * xs[k];
        let v = acc64 ? mbqm64(a + p.bias[o], p.mult[o], p.shift[o]) : mbqm((a + p.bias[o]) | 0, p.mult[o], p.shift[o]);
        v += outZp;
        yd[b * No + o] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
    return [out];
  },
};
