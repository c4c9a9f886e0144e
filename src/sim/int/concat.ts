// Concat on integers. TFLM CONCATENATION int8 copies bytes (it assumes every input shares the output's
// quantization, which the TFLite converter enforces). espforge does the same for inputs whose scale and zero
// point equal the output's; an input whose quantization differs is requantized (MBQM of s_in/s_out, as
// Quantize int→int) — an espforge extension where TFLM would copy raw bytes. Per input k the qparams hold
// in_zp[k], mult[k], shift[k], requant[k] (0/1).

import { dtypeRange, shapeSize } from '../../ir/dtype.js';
import type { ConcatParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, cached, newOut, qa, qn } from './common.js';

export const kernel: IntKernel<ConcatParams> = {
  prepare(node, g) {
    const yId = node.outputs[0];
    actDType(g, yId, node);
    const y = scaleZp(g, yId, node, 'output');
    const inZp: number[] = [];
    const mult: number[] = [];
    const shift: number[] = [];
    const requant: number[] = [];
    node.inputs.forEach((id, k) => {
      actDType(g, id, node);
      const x = scaleZp(g, id, node, `input ${k}`);
      const [m, s] = qm(x.s / y.s, node, `input ${k}`);
      inZp.push(x.zp);
      mult.push(m);
      shift.push(s);
      requant.push(x.s === y.s && x.zp === y.zp ? 0 : 1);
    });
    return { out_zp: y.zp, in_zp: inZp, mult, shift, requant };
  },
  eval(inputs, node, g) {
    const out = newOut(g, node, inputs);
    const r = out.shape.length;
    let axis = attrOr(node, 'axis', 0) as number;
    if (axis < 0) axis += r;
    const outer = shapeSize(out.shape.slice(0, axis));
    const innerOut = shapeSize(out.shape.slice(axis));
    const p = cached(node, () => ({ zp: qa(node, 'in_zp'), m: qa(node, 'mult'), s: qa(node, 'shift'), rq: qa(node, 'requant') }));
    const zo = qn(node, 'out_zp');
    const [lo, hi] = dtypeRange(out.dtype);
    const yd = out.data;
    let base = 0;
    inputs.forEach((x, k) => {
      if (!x) return;
      const inner = shapeSize(x.shape.slice(axis));
      const xd = x.data;
      for (let o = 0; o < outer; o++) {
        const src = o * inner;
        const dst = o * innerOut + base;
        if (p.rq[k] === 0) for (let i = 0; i < inner; i++) yd[dst + i] = xd[src + i];
        else
          for (let i = 0; i < inner; i++) {
            const v = mbqm(xd[src + i] - p.zp[k], p.m[k], p.s[k]) + zo;
            yd[dst + i] = v < lo ? lo : v > hi ? hi : v;
          }
      }
      base += inner;
    });
    return [out];
  },
};
