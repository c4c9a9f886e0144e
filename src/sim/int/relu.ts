// Relu on integers: TFLM ReluQuantized: y = clamp(zp_out + MBQM(x − zp_in, M, S)), (M, S) = QM(s_in/s_out)
// in double, clamp [max(qmin, zp_out + rha(0/s_out)), qmax]. Equal input/output quantization skips the
// multiply (it is then exactly the identity).

import type { ClampRequantParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import type { Graph, Node } from '../../ir/graph.js';
import { dtypeRange } from '../../ir/dtype.js';
import { mbqm, rha } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { need, newOut, qn } from './common.js';

/** Requantizing clamp shared by Relu and Clip: lo/hi are float bounds (±Infinity = none). */
export function prepareClampRequant(node: Node, g: Graph, lo: number, hi: number): ClampRequantParams {
  const xId = node.inputs[0];
  const yId = node.outputs[0];
  actDType(g, xId, node);
  const outDt = actDType(g, yId, node);
  const x = scaleZp(g, xId, node, 'input');
  const y = scaleZp(g, yId, node, 'output');
  const [qmin, qmax] = dtypeRange(outDt);
  const q = (f: number): number => y.zp + rha(Math.fround(f / y.s));
  const actMin = lo === -Infinity ? qmin : Math.min(qmax, Math.max(qmin, q(lo)));
  const actMax = hi === Infinity ? qmax : Math.max(qmin, Math.min(qmax, q(hi)));
  const same = x.s === y.s && x.zp === y.zp ? 1 : 0;
  const [mult, shift] = qm(x.s / y.s, node, 'output');
  return { in_zp: x.zp, out_zp: y.zp, act_min: actMin, act_max: actMax, mult, shift, same_quant: same };
}

export function evalClampRequant(inputs: Parameters<IntKernel['eval']>[0], node: Node, g: Graph) {
  const x = need(inputs, 0, node);
  const out = newOut(g, node, inputs);
  const lo = qn(node, 'act_min');
  const hi = qn(node, 'act_max');
  const xd = x.data;
  const yd = out.data;
  if (qn(node, 'same_quant') === 1) {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    const zi = qn(node, 'in_zp');
    const zo = qn(node, 'out_zp');
    const m = qn(node, 'mult');
    const s = qn(node, 'shift');
    for (let i = 0; i < xd.length; i++) {
      const v = zo + mbqm(xd[i] - zi, m, s);
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return [out];
}

export const kernel: IntKernel<ClampRequantParams> = {
  prepare: (node, g) => prepareClampRequant(node, g, 0, Infinity),
  eval: evalClampRequant,
};
