// FullyConnected on integers: TFLM FULLY_CONNECTED (INT8-ARITHMETIC.md §7), per-tensor or per-channel filter
// scales. X [..., K] is viewed as [batches, K]; W [N, K]; bias [N]. int16 activations follow the 16x8 kernel
// (no zero points, int64 accumulation when the bias is int64).

import { fail } from '../../diagnostics.js';
import type { ConvParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { prepareWeighted } from './conv.js';
import { cached, int32Of, need, newOut, qa, qn } from './common.js';
import { dotRows32, dotRows64, requantRow, type Requant } from './loops.js';

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
      // weights widened to int32 with their zero point removed
      const wI = new Int32Array(w.data.length);
      for (let i = 0; i < wI.length; i++) wI[i] = w.data[i] - wZp;
      return { mult: int32Of(qa(node, 'mult')), shift: int32Of(qa(node, 'shift')), bias, wI };
    });
    const xd = x.data;
    const yd = out.data;
    const xs = new Int32Array(K);
    const acc = new Float64Array(No);
    const rq: Requant = { mult: p.mult, shift: p.shift, bias: p.bias, outZp, actMin, actMax, acc64 };
    for (let b = 0; b < batches; b++) {
      for (let k = 0; k < K; k++) xs[k] = xd[b * K + k] - inZp;
      if (acc64) dotRows64(xs, 0, K, p.wI, 0, No, acc, 0);
      else dotRows32(xs, 0, K, p.wI, 0, No, acc, 0);
      requantRow(acc, No, yd, b * No, rq);
    }
    return [out];
  },
};
