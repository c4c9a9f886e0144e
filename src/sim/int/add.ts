// Add and Sub on integers: TFLM ADD / SUB general quantized path (INT8-ARITHMETIC.md §9): both inputs are
// shifted left by 20 (15 for int16 outputs), rescaled to twice the larger input scale, summed, and rescaled to
// the output. ADD computes the real multipliers in double; SUB (sub_common.cc) in float32. Numpy broadcasting.

import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { AddParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { broadcastIndex } from '../../ops/util.js';
import { rdbpot, srdhm } from '../../arith/fixedpoint.js';
import { actDType, activationRangeQ, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

function prepareAddSub(node: Node, g: Graph, sub: boolean): AddParams {
  const [aId, bId] = node.inputs;
  const yId = node.outputs[0];
  actDType(g, aId, node);
  actDType(g, bId, node);
  const outDt = actDType(g, yId, node);
  const a = scaleZp(g, aId, node, 'input 0');
  const b = scaleZp(g, bId, node, 'input 1');
  const y = scaleZp(g, yId, node, 'output');
  const leftShift = outDt === 'int16' ? 15 : 20;
  let m1: number;
  let m2: number;
  let mo: number;
  if (sub) {
    const f = Math.fround;
    const twice = f(2 * Math.max(a.s, b.s));
    m1 = f(a.s / twice);
    m2 = f(b.s / twice);
    mo = f(twice / f(2 ** leftShift * y.s));
  } else {
    const twice = 2 * Math.max(a.s, b.s);
    m1 = a.s / twice;
    m2 = b.s / twice;
    mo = twice / (2 ** leftShift * y.s);
  }
  const [inMult, inShift] = qm(m1, node, 'input 0');
  const [in2Mult, in2Shift] = qm(m2, node, 'input 1');
  const [outMult, outShift] = qm(mo, node, 'output');
  // TFLM computes all three with QuantizeMultiplierSmallerThanOneExp, which requires a real multiplier < 1: an
  // output scale below 2·max(s_in)/2^left_shift is refused by TFLM's Prepare, and so here
  if (outShift > 0 || inShift > 0 || in2Shift > 0)
    fail('EF3004', `${node.op}: the output scale ${y.s} is too small for the input scales ${a.s}, ${b.s} (TFLM needs 2·max(s_in)/(2^${leftShift}·s_out) < 1)`, {
      node: node.name,
      suggestion: 'recalibrate: the output range is far narrower than the inputs',
    });
  const [actMin, actMax] = activationRangeQ(attrOr(node, 'activation', 'none'), y.s, y.zp, outDt, node);
  return {
    in_zp: a.zp,
    in2_zp: b.zp,
    out_zp: y.zp,
    act_min: actMin,
    act_max: actMax,
    left_shift: leftShift,
    in_mult: inMult,
    in_shift: inShift,
    in2_mult: in2Mult,
    in2_shift: in2Shift,
    out_mult: outMult,
    out_shift: outShift,
  };
}

function evalAddSub(inputs: Parameters<IntKernel['eval']>[0], node: Node, g: Graph, sub: boolean) {
  const a = need(inputs, 0, node);
  const b = need(inputs, 1, node);
  const out = newOut(g, node, inputs);
  const ia = broadcastIndex(a.shape, out.shape);
  const ib = broadcastIndex(b.shape, out.shape);
  const zpa = qn(node, 'in_zp');
  const zpb = qn(node, 'in2_zp');
  const zpo = qn(node, 'out_zp');
  const ls = 2 ** qn(node, 'left_shift');
  const m1 = qn(node, 'in_mult');
  const s1 = -qn(node, 'in_shift');
  const m2 = qn(node, 'in2_mult');
  const s2 = -qn(node, 'in2_shift');
  const mo = qn(node, 'out_mult');
  const so = -qn(node, 'out_shift');
  const lo = qn(node, 'act_min');
  const hi = qn(node, 'act_max');
  const ad = a.data;
  const bd = b.data;
  const yd = out.data;
  for (let i = 0; i < yd.length; i++) {
    const x1 = rdbpot(srdhm(((ad[ia[i]] - zpa) * ls) | 0, m1), s1);
    const x2 = rdbpot(srdhm(((bd[ib[i]] - zpb) * ls) | 0, m2), s2);
    const v = rdbpot(srdhm(sub ? (x1 - x2) | 0 : (x1 + x2) | 0, mo), so) + zpo;
    yd[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return [out];
}

export const addKernel: IntKernel<AddParams> = {
  prepare: (node, g) => prepareAddSub(node, g, false),
  eval: (inputs, node, g) => evalAddSub(inputs, node, g, false),
};

export const subKernel: IntKernel<AddParams> = {
  prepare: (node, g) => prepareAddSub(node, g, true),
  eval: (inputs, node, g) => evalAddSub(inputs, node, g, true),
};

export const kernel = addKernel;
