// ReduceMean on integers: TFLM MEAN via QuantizedMeanOrSum (INT8-ARITHMETIC.md §11). The 1/N factor is folded
// into the multiplier in Prepare: sh = min(floor(log2 N), 32, 31 + S), M' = (M·2^sh)/N (int64, truncating),
// S' = S − sh. qparams.mult / qparams.shift hold M' / S'; count holds N.

import { fail } from '../../diagnostics.js';
import { dtypeRange, shapeSize, stridesOf } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import type { MeanParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

function reducedAxes(node: Node, rank: number): number[] {
  const axes = attrOr(node, 'axes', [] as number[]) as number[];
  const r = axes.length === 0 ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  if (r.some((a) => a < 0 || a >= rank)) fail('EF1006', `ReduceMean axes [${axes}] out of range for rank ${rank}`, { node: node.name });
  return [...new Set(r)].sort((a, b) => a - b);
}

export const kernel: IntKernel<MeanParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    actDType(g, xId, node);
    actDType(g, yId, node);
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const shape = g.tensors[xId].shape;
    const axes = reducedAxes(node, shape.length);
    const n = axes.reduce((p, a) => p * shape[a], 1);
    if (!(n > 0) || n >= 2 ** 31) fail('EF1008', `ReduceMean needs a static, non-empty reduced extent (got ${n})`, { node: node.name });
    const [m, s] = qm(x.s / y.s, node, 'output');
    const sh = Math.min(31 - Math.clz32(n), 32, 31 + s); // floor(log2 N)
    const mAdj = Number((BigInt(m) << BigInt(sh)) / BigInt(n));
    return { in_zp: x.zp, out_zp: y.zp, mult: mAdj, shift: s - sh, count: n };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const rank = x.shape.length;
    const axes = reducedAxes(node, rank);
    const red = new Array<boolean>(rank).fill(false);
    for (const a of axes) red[a] = true;
    // output strides over the kept dims, in input dim order
    const keptShape = x.shape.map((d, i) => (red[i] ? 1 : d));
    const ks = stridesOf(keptShape);
    const eff = x.shape.map((_, i) => (red[i] ? 0 : ks[i]));
    const nOut = shapeSize(keptShape);
    const sums = new Float64Array(nOut);
    const xd = x.data;
    const coord = new Array<number>(rank).fill(0);
    let o = 0;
    for (let i = 0; i < xd.length; i++) {
      sums[o] += xd[i];
      for (let d = rank - 1; d >= 0; d--) {
        coord[d]++;
        o += eff[d];
        if (coord[d] < x.shape[d]) break;
        o -= eff[d] * coord[d];
        coord[d] = 0;
      }
    }
    const n = qn(node, 'count');
    const zpIn = qn(node, 'in_zp');
    const zpOut = qn(node, 'out_zp');
    const m = qn(node, 'mult');
    const s = qn(node, 'shift');
    const [lo, hi] = dtypeRange(out.dtype);
    const yd = out.data;
    for (let k = 0; k < nOut; k++) {
      const v = mbqm((sums[k] - zpIn * n) | 0, m, s) + zpOut;
      yd[k] = v < lo ? lo : v > hi ? hi : v;
    }
    return [out];
  },
};
